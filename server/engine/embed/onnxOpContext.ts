/** What the op translations (./onnxOps.ts, ./onnxFuse.ts) see of the graph that ./onnxConvert.ts builds. */
import type { OnnxNode } from './onnxProto';
import { ConstTensor, ConversionError, tensorName, TfNode } from './onnxTfGraph';

/** What one TF tensor became in the ONNX graph. */
export type Value =
  /** A rank-4 activation, stored NCHW; `shape` is [C, H, W] (the batch is symbolic). */
  | { readonly kind: 'nchw'; readonly name: string; readonly shape: readonly [number, number, number] }
  /** A rank-2 activation N×C (a Mean without keep_dims). */
  | { readonly kind: 'nc'; readonly name: string; readonly channels: number }
  /** A constant from the weights; becomes an initializer when an op needs it as a tensor. */
  | { readonly kind: 'const'; readonly tfName: string; readonly value: ConstTensor };

/** A non-constant value: an NCHW or N×C activation. */
export type Activation = Extract<Value, { kind: 'nchw' | 'nc' }>;

/** The graph under construction, as an op translation sees it (implemented by the converter in ./onnxConvert.ts). */
export interface OpContext {
  /** The TF graph's nodes by name. */
  readonly byName: ReadonlyMap<string, TfNode>;
  /** The decoded weights of its constants. */
  readonly weights: ReadonlyMap<string, ConstTensor>;
  /** Whether hard-swish / hard-sigmoid patterns are fused (./onnxFuse.ts). */
  readonly fuse: boolean;
  /** The value TF node `name` became, if it was converted already. */
  converted(name: string): Value | undefined;
  /** Appends an ONNX node named `${opType}_${index}`. */
  emit(opType: string, inputs: string[], outputs: string[], attributes?: OnnxNode['attributes']): void;
  /** A unique ONNX value name derived from a TF name. */
  fresh(base: string): string;
  /** The initializer for `key`, made once; its name never collides with a node output. */
  initializer(key: string, dims: number[], make: () => Float32Array): string;
  /** A float scalar initializer. */
  scalar(v: number): string;
}

/** The (already converted) value of data input `i` of `node`. */
export function input(ctx: OpContext, node: TfNode, i: number): Value {
  const ref = (node.input ?? []).filter((x) => !x.startsWith('^'))[i];
  if (ref === undefined) throw new ConversionError(`'${node.name}' (${node.op}) has no input ${i}`);
  const v = ctx.converted(tensorName(ref));
  if (!v) throw new ConversionError(`'${node.name}': input '${ref}' was not converted first`);
  return v;
}

/** As `input`, for an input that must be an activation. */
export function activation(ctx: OpContext, node: TfNode, i: number): Activation {
  const v = input(ctx, node, i);
  if (v.kind === 'const') throw new ConversionError(`'${node.name}' (${node.op}): input ${i} is a constant; only activations are supported`);
  return v;
}
