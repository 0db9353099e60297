/**
 * TensorFlow.js graph model → ONNX, for the ONNX Runtime embedding backend (`./onnxRunner.ts`) and the
 * bench (`bench/onnx/`). Local and offline: reads the same model.json + shards the registry resolves.
 *
 * The converted graph holds only what the feature nodes need, and ends with one ReduceMean over H×W per
 * feature node: output `pooled_i` is N×C_i, the mean-pooled (not yet normalised) block i. The input is
 * `images`, N×S×S×3 NHWC float (S fixed to the model's input size, batch symbolic), transposed once to
 * NCHW; every rank-4 value inside is NCHW.
 *
 * Ops mapped (the CenterNet MobileNetV3 backbone uses the first six): _FusedConv2D / Conv2D (+BiasAdd,
 * Relu, Relu6), FusedDepthwiseConv2dNative / DepthwiseConv2dNative, Add/AddV2/Sub/Mul, Relu6 (→ Clip),
 * Mean (H,W), Relu, Sigmoid, Identity, AddN (→ Sum). Anything else is reported by name. With `fuse` (default) the
 * hard-swish pattern c·x·relu6(x+3) becomes HardSwish and c·relu6(x+3) becomes HardSigmoid (c ≈ 1/6; see
 * `emitHard` in ./onnxFuse.ts).
 * TF 'SAME' padding becomes explicit pads (the input size is fixed, so every shape is known).
 *
 * This file walks the graph back from the feature nodes and assembles the model; the op table is ./onnxOps.ts,
 * the hard-swish fusion ./onnxFuse.ts, the TF.js types, weight decoding and filter layouts ./onnxTfGraph.ts,
 * the protobuf encoding ./onnxProto.ts.
 */
import type { ResolvedModel } from './models/registry';
import { loadArtifacts } from './models/artifacts';
import { encodeModel, OnnxDataType, OnnxModel, OnnxNode, OnnxTensor } from './onnxProto';
import { mergeFeatureModels } from './onnxMerge';
import { OpContext, Value } from './onnxOpContext';
import { matchHard } from './onnxFuse';
import { translateOp } from './onnxOps';
import { ConstTensor, ConversionError, decodeWeights, tensorName, TfNode, WeightSpec } from './onnxTfGraph';

export {
  ConversionError,
  decodeWeights,
  halfToFloat,
  hwcmToDepthwiseOihw,
  hwioToOihw,
  type ConstTensor,
  type TfAttr,
  type TfNode,
  type WeightSpec,
} from './onnxTfGraph';

/** Bump when the converter's output changes: the cached .onnx files are keyed by it. */
export const CONVERTER_VERSION = 1;
export const ONNX_OPSET = 14; // HardSwish needs 14; ReduceMean still takes `axes` as an attribute (until 18).
const ONNX_IR_VERSION = 7;
export const ONNX_INPUT_NAME = 'images';
export const pooledOutputName = (i: number): string => `pooled_${i}`;

export interface ConvertOptions {
  /** TF node names whose outputs are mean-pooled into the model's outputs, in order. */
  readonly featureNodes: readonly string[];
  /** Images are S×S×3. */
  readonly inputSize: number;
  /** Replace hard-swish / hard-sigmoid patterns by HardSwish / HardSigmoid (default true). */
  readonly fuse?: boolean;
  readonly producerVersion?: string;
  /** The TF node fed with the images when it is not the placeholder (ModelSpec.inputNode); its inputs are never converted. */
  readonly inputNode?: string;
}

/** Converts a tfjs graph (nodes + decoded weights) into an ONNX model. Pure: no file access. */
export function convertGraph(nodes: readonly TfNode[], weights: ReadonlyMap<string, ConstTensor>, opts: ConvertOptions): OnnxModel {
  if (opts.featureNodes.length === 0) throw new ConversionError('no feature nodes to convert');
  return new GraphConverter(nodes, weights, opts).run();
}

/** Walks the TF graph back from the feature nodes, converting each node once (./onnxOps.ts), and assembles the model. */
class GraphConverter implements OpContext {
  readonly byName = new Map<string, TfNode>();
  private readonly values = new Map<string, Value>();
  private readonly onnxNodes: OnnxNode[] = [];
  private readonly initializers = new Map<string, OnnxTensor>();
  /** Every ONNX name taken so far (graph input and outputs reserved up front). */
  private readonly used = new Set<string>();
  /** Initializer key → its ONNX name. */
  private readonly initializerNames = new Map<string, string>();
  readonly fuse: boolean;

  constructor(
    nodes: readonly TfNode[],
    readonly weights: ReadonlyMap<string, ConstTensor>,
    private readonly opts: ConvertOptions,
  ) {
    for (const n of nodes) this.byName.set(n.name, n);
    this.fuse = opts.fuse ?? true;
    this.used.add(ONNX_INPUT_NAME);
    opts.featureNodes.forEach((_, i) => this.used.add(pooledOutputName(i)));
  }

  run(): OnnxModel {
    const S = this.opts.inputSize;
    const outputs = this.opts.featureNodes.map((name, i) => {
      if (!this.byName.has(name)) throw new ConversionError(`feature node '${name}' is not in the graph`);
      const v = this.value(name);
      const out = pooledOutputName(i);
      if (v.kind === 'nchw') {
        this.emit('ReduceMean', [v.name], [out], { axes: { kind: 'ints', value: [2, 3] }, keepdims: { kind: 'int', value: 0 } });
        return { name: out, elemType: OnnxDataType.FLOAT, shape: ['N', v.shape[0]] };
      }
      if (v.kind === 'nc') {
        this.emit('Identity', [v.name], [out]);
        return { name: out, elemType: OnnxDataType.FLOAT, shape: ['N', v.channels] };
      }
      throw new ConversionError(`feature node '${name}' is a constant`);
    });
    return {
      irVersion: ONNX_IR_VERSION,
      opsetVersion: ONNX_OPSET,
      producerName: 'labellint tfjs-to-onnx',
      producerVersion: this.opts.producerVersion ?? String(CONVERTER_VERSION),
      graph: {
        name: 'features',
        nodes: this.onnxNodes,
        initializers: [...this.initializers.values()],
        inputs: [{ name: ONNX_INPUT_NAME, elemType: OnnxDataType.FLOAT, shape: ['N', S, S, 3] }],
        outputs,
        docString: `Mean-pooled outputs of: ${this.opts.featureNodes.join(', ')}`,
      },
    };
  }

  /** The ONNX value of TF tensor `ref` ("node" or "node:0"), converting its producer on first use. */
  private value(ref: string): Value {
    const name = tensorName(ref);
    if (ref.includes(':') && !ref.endsWith(':0')) throw new ConversionError(`'${ref}': only output 0 of a node is supported`);
    let v = this.values.get(name);
    if (v) return v;
    const node = this.byName.get(name);
    if (!node) throw new ConversionError(`node '${name}' is referenced but not defined`);
    // Inputs first, without recursion (graphs can be deep).
    const stack: { node: TfNode; expanded: boolean }[] = [{ node, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (this.values.has(top.node.name)) {
        stack.pop();
        continue;
      }
      if (!top.expanded) {
        top.expanded = true;
        for (const depName of this.dependencies(top.node)) {
          const dep = this.byName.get(depName);
          if (!dep) throw new ConversionError(`node '${depName}' (input of '${top.node.name}') is not defined`);
          if (!this.values.has(dep.name)) stack.push({ node: dep, expanded: false });
        }
        continue;
      }
      stack.pop();
      this.values.set(top.node.name, this.convert(top.node));
    }
    v = this.values.get(name);
    if (!v) throw new ConversionError(`could not convert '${name}'`);
    return v;
  }

  /** TF nodes that must be converted before `node`; a fused pattern needs only its input x. */
  private dependencies(node: TfNode): string[] {
    if (node.name === this.opts.inputNode) return [];
    const hard = this.fuse ? matchHard(this, node) : undefined;
    if (hard) return [hard.x];
    return (node.input ?? []).filter((i) => !i.startsWith('^')).map(tensorName);
  }

  private convert(node: TfNode): Value {
    if (node.name === this.opts.inputNode || node.op === 'Placeholder') return this.imageInput(node);
    return translateOp(this, node);
  }

  /** The graph input `images` (NHWC) transposed to NCHW, standing for `node`. */
  private imageInput(node: TfNode): Value {
    const S = this.opts.inputSize;
    const out = this.fresh(node.name);
    this.emit('Transpose', [ONNX_INPUT_NAME], [out], { perm: { kind: 'ints', value: [0, 3, 1, 2] } });
    return { kind: 'nchw', name: out, shape: [3, S, S] };
  }

  /** OpContext: the value TF node `name` became, if converted already. */
  converted(name: string): Value | undefined {
    return this.values.get(name);
  }

  emit(opType: string, inputs: string[], outputs: string[], attributes?: OnnxNode['attributes']): void {
    this.onnxNodes.push({ opType, name: `${opType}_${this.onnxNodes.length}`, inputs, outputs, attributes });
  }

  /** A unique ONNX value name derived from a TF name. */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}__${k}`;
    this.used.add(name);
    return name;
  }

  /** The initializer for `key`, made once; its name never collides with a node output. */
  initializer(key: string, dims: number[], make: () => Float32Array): string {
    let name = this.initializerNames.get(key);
    if (name === undefined) {
      name = this.fresh(key);
      this.initializerNames.set(key, name);
      this.initializers.set(name, { name, dims, data: make() });
    }
    return name;
  }

  /** A float scalar initializer. */
  scalar(v: number): string {
    return this.initializer(`const_${v}`, [], () => Float32Array.of(v));
  }
}

/**
 * Converts a resolved graph model (registry id or user model.json) to ONNX bytes. An ensemble becomes one
 * graph: each member converted, then merged on the shared input (./onnxMerge.ts), outputs pooled_0… in order.
 */
export function convertResolvedModel(model: ResolvedModel, opts: { fuse?: boolean } = {}): Uint8Array {
  const producerVersion = `${CONVERTER_VERSION} (${model.key})`;
  const onnx = model.members
    ? mergeFeatureModels(
        model.members.map((m) => convertOne(m, opts)),
        { inputName: ONNX_INPUT_NAME, outputName: pooledOutputName, producerVersion },
      )
    : convertOne(model, opts, producerVersion);
  return encodeModel(onnx);
}

function convertOne(model: ResolvedModel, opts: { fuse?: boolean }, producerVersion?: string): OnnxModel {
  if (model.spec.format !== 'graph') throw new ConversionError(`${model.spec.id}: only graph models can be converted to ONNX`);
  if (model.spec.featureNodes.length === 0) throw new ConversionError(`${model.spec.id}: name the feature nodes to convert`);
  const artifacts = loadArtifacts(model);
  const topo = artifacts.modelTopology as { node?: TfNode[] } | undefined;
  const weights = decodeWeights((artifacts.weightSpecs ?? []) as WeightSpec[], artifacts.weightData as ArrayBuffer);
  return convertGraph(topo?.node ?? [], weights, {
    featureNodes: model.spec.featureNodes,
    inputSize: model.spec.inputSize,
    inputNode: model.spec.inputNode,
    fuse: opts.fuse,
    producerVersion,
  });
}
