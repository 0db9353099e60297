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
 * hard-swish pattern c·x·relu6(x+3) becomes HardSwish and c·relu6(x+3) becomes HardSigmoid (c ≈ 1/6; see `emitHard`).
 * TF 'SAME' padding becomes explicit pads (the input size is fixed, so every shape is known).
 */
import type { ResolvedModel } from './models/registry';
import { loadArtifacts } from './models/artifacts';
import { encodeModel, OnnxDataType, OnnxModel, OnnxNode, OnnxTensor } from './onnxProto';
import { mergeFeatureModels } from './onnxMerge';

/** Bump when the converter's output changes: the cached .onnx files are keyed by it. */
export const CONVERTER_VERSION = 1;
export const ONNX_OPSET = 14; // HardSwish needs 14; ReduceMean still takes `axes` as an attribute (until 18).
const ONNX_IR_VERSION = 7;
export const ONNX_INPUT_NAME = 'images';
export const pooledOutputName = (i: number): string => `pooled_${i}`;

/** One entry of a tfjs weights manifest. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype: string; readonly scale?: number; readonly min?: number };
}

export interface ConstTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

/** One node of a tfjs graph model's `modelTopology.node`. */
export interface TfNode {
  readonly name: string;
  readonly op: string;
  readonly input?: readonly string[];
  readonly attr?: Readonly<Record<string, TfAttr | undefined>>;
}
export interface TfAttr {
  readonly s?: string;
  readonly i?: string | number;
  readonly f?: number;
  readonly b?: boolean;
  readonly type?: string;
  readonly list?: { readonly s?: readonly string[]; readonly i?: readonly (string | number)[] };
  readonly shape?: unknown;
}

export class ConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConversionError';
  }
}

/**
 * Decodes a tfjs weights manifest (already concatenated shards) into typed arrays, float32 out:
 * float16 / uint8 / uint16 quantisation is undone the way tfjs does it.
 */
export function decodeWeights(specs: readonly WeightSpec[], data: ArrayBuffer | Uint8Array): Map<string, ConstTensor> {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, ConstTensor>();
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    let values: Float32Array | Int32Array;
    const width = q ? (q.dtype === 'uint8' ? 1 : 2) : 4;
    if (offset + count * width > bytes.byteLength) {
      throw new ConversionError(`weights end after ${bytes.byteLength} bytes, in ${spec.name} (needs ${offset + count * width})`);
    }
    if (q) {
      const f = new Float32Array(count);
      if (q.dtype === 'float16') {
        for (let i = 0; i < count; i++) f[i] = halfToFloat(dv.getUint16(offset + i * 2, true));
        offset += count * 2;
      } else if (q.dtype === 'uint8' || q.dtype === 'uint16') {
        const scale = q.scale ?? 1;
        const min = q.min ?? 0;
        for (let i = 0; i < count; i++) {
          const v = width === 1 ? dv.getUint8(offset + i) : dv.getUint16(offset + i * 2, true);
          f[i] = v * scale + min;
        }
        offset += count * width;
      } else {
        throw new ConversionError(`weight ${spec.name}: unsupported quantization ${q.dtype}`);
      }
      values = spec.dtype === 'int32' ? Int32Array.from(f, Math.round) : f;
    } else if (spec.dtype === 'float32') {
      values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = dv.getFloat32(offset + i * 4, true);
      offset += count * 4;
    } else if (spec.dtype === 'int32') {
      values = new Int32Array(count);
      for (let i = 0; i < count; i++) values[i] = dv.getInt32(offset + i * 4, true);
      offset += count * 4;
    } else {
      throw new ConversionError(`weight ${spec.name}: unsupported dtype ${spec.dtype}`);
    }
    out.set(spec.name, { shape: [...spec.shape], data: values });
  }
  return out;
}

/** IEEE 754 half → float (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

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

/** What one TF tensor became in the ONNX graph. */
type Value =
  /** A rank-4 activation, stored NCHW; `shape` is [C, H, W] (the batch is symbolic). */
  | { readonly kind: 'nchw'; readonly name: string; readonly shape: readonly [number, number, number] }
  /** A rank-2 activation N×C (a Mean without keep_dims). */
  | { readonly kind: 'nc'; readonly name: string; readonly channels: number }
  /** A constant from the weights; becomes an initializer when an op needs it as a tensor. */
  | { readonly kind: 'const'; readonly tfName: string; readonly value: ConstTensor };

/** Converts a tfjs graph (nodes + decoded weights) into an ONNX model. Pure: no file access. */
export function convertGraph(nodes: readonly TfNode[], weights: ReadonlyMap<string, ConstTensor>, opts: ConvertOptions): OnnxModel {
  if (opts.featureNodes.length === 0) throw new ConversionError('no feature nodes to convert');
  return new GraphConverter(nodes, weights, opts).run();
}

/** A matched hard-swish / hard-sigmoid: its input x and the graph's constant for 1/6. */
interface HardPattern {
  readonly kind: 'HardSwish' | 'HardSigmoid';
  readonly x: string;
  readonly sixth: number;
}

class GraphConverter {
  private readonly byName = new Map<string, TfNode>();
  private readonly values = new Map<string, Value>();
  private readonly onnxNodes: OnnxNode[] = [];
  private readonly initializers = new Map<string, OnnxTensor>();
  private readonly fuse: boolean;

  constructor(
    nodes: readonly TfNode[],
    private readonly weights: ReadonlyMap<string, ConstTensor>,
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
    const hard = this.fuse ? this.matchHard(node) : undefined;
    if (hard) return [hard.x];
    return (node.input ?? []).filter((i) => !i.startsWith('^')).map(tensorName);
  }

  private convert(node: TfNode): Value {
    if (node.name === this.opts.inputNode) return this.imageInput(node);
    switch (node.op) {
      case 'Const': {
        const value = this.weights.get(node.name);
        if (!value) throw new ConversionError(`constant '${node.name}' has no weights (inline constants are not supported)`);
        return { kind: 'const', tfName: node.name, value };
      }
      case 'Placeholder':
        return this.imageInput(node);
      case 'Identity':
        return this.input(node, 0);
      case 'Conv2D':
      case '_FusedConv2D':
        return this.conv(node, false);
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        return this.conv(node, true);
      case 'Relu':
      case 'Sigmoid': {
        const x = this.activation(node, 0);
        const out = this.fresh(node.name);
        this.emit(node.op, [x.name], [out]);
        return { ...x, name: out };
      }
      case 'Relu6': {
        const x = this.activation(node, 0);
        const out = this.fresh(node.name);
        this.emit('Clip', [x.name, this.scalar(0), this.scalar(6)], [out]);
        return { ...x, name: out };
      }
      case 'Add':
      case 'AddV2':
      case 'Sub':
      case 'Mul':
        return this.binary(node);
      case 'Mean':
        return this.mean(node);
      case 'AddN':
        return this.addN(node);
      default:
        throw new ConversionError(`op '${node.op}' (node '${node.name}') is not supported by the ONNX converter`);
    }
  }

  /** The graph input `images` (NHWC) transposed to NCHW, standing for `node`. */
  private imageInput(node: TfNode): Value {
    const S = this.opts.inputSize;
    const out = this.fresh(node.name);
    this.emit('Transpose', [ONNX_INPUT_NAME], [out], { perm: { kind: 'ints', value: [0, 3, 1, 2] } });
    return { kind: 'nchw', name: out, shape: [3, S, S] };
  }

  /** AddN over activations of one shape (residual sums after TF's AddOpsRewrite) → ONNX Sum. */
  private addN(node: TfNode): Value {
    const count = (node.input ?? []).filter((x) => !x.startsWith('^')).length;
    if (count < 1) throw new ConversionError(`'${node.name}' (AddN) has no inputs`);
    const inputs = Array.from({ length: count }, (_, i) => this.activation(node, i));
    const first = inputs[0];
    for (const v of inputs) {
      if (v.kind !== first.kind || (v.kind === 'nchw' && first.kind === 'nchw' && v.shape.join() !== first.shape.join())) {
        throw new ConversionError(`'${node.name}' (AddN): inputs differ in shape`);
      }
    }
    if (count === 1) return first;
    const out = this.fresh(node.name);
    this.emit('Sum', inputs.map((v) => v.name), [out]);
    return { ...first, name: out };
  }

  private input(node: TfNode, i: number): Value {
    const ref = (node.input ?? []).filter((x) => !x.startsWith('^'))[i];
    if (ref === undefined) throw new ConversionError(`'${node.name}' (${node.op}) has no input ${i}`);
    const v = this.values.get(tensorName(ref));
    if (!v) throw new ConversionError(`'${node.name}': input '${ref}' was not converted first`);
    return v;
  }

  private activation(node: TfNode, i: number): Extract<Value, { kind: 'nchw' | 'nc' }> {
    const v = this.input(node, i);
    if (v.kind === 'const') throw new ConversionError(`'${node.name}' (${node.op}): input ${i} is a constant; only activations are supported`);
    return v;
  }

  private conv(node: TfNode, depthwise: boolean): Value {
    const x = this.input(node, 0);
    if (x.kind !== 'nchw') throw new ConversionError(`'${node.name}': input is not rank 4`);
    const w = this.input(node, 1);
    if (w.kind !== 'const' || w.value.shape.length !== 4) throw new ConversionError(`'${node.name}': the filter must be a rank-4 constant`);
    if (attrString(node, 'data_format', 'NHWC') !== 'NHWC') throw new ConversionError(`'${node.name}': only NHWC is supported`);
    const fused = (node.attr?.fused_ops?.list?.s ?? []).map(b64);
    const numArgs = Number(node.attr?.num_args?.i ?? 0);
    const [kh, kw, cin, mult] = w.value.shape; // HWIO, or HW·C·M for depthwise
    if (cin !== x.shape[0]) throw new ConversionError(`'${node.name}': filter expects ${cin} channels, input has ${x.shape[0]}`);
    const strides = attrInts(node, 'strides', [1, 1, 1, 1]);
    const dilations = attrInts(node, 'dilations', [1, 1, 1, 1]);
    const padding = attrString(node, 'padding', 'VALID');
    const [, H, W] = x.shape;
    const sh = strides[1];
    const sw = strides[2];
    const dh = dilations[1];
    const dw = dilations[2];
    let pads: number[];
    let outH: number;
    let outW: number;
    if (padding === 'SAME') {
      // TF: out = ceil(in / s); total = max((out-1)·s + (k-1)·d + 1 - in, 0); the odd pixel goes at the end.
      outH = Math.ceil(H / sh);
      outW = Math.ceil(W / sw);
      const th = Math.max((outH - 1) * sh + (kh - 1) * dh + 1 - H, 0);
      const tw = Math.max((outW - 1) * sw + (kw - 1) * dw + 1 - W, 0);
      pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
    } else if (padding === 'VALID') {
      outH = Math.ceil((H - (kh - 1) * dh) / sh);
      outW = Math.ceil((W - (kw - 1) * dw) / sw);
      pads = [0, 0, 0, 0];
    } else {
      throw new ConversionError(`'${node.name}': padding ${padding} is not supported`);
    }
    const outC = depthwise ? cin * mult : mult;
    const weightName = this.initializer(`${w.tfName}${depthwise ? '__dw_oihw' : '__oihw'}`, [outC, depthwise ? 1 : cin, kh, kw], () =>
      depthwise ? hwcmToDepthwiseOihw(w.value) : hwioToOihw(w.value),
    );
    const inputs = [x.name, weightName];
    let rest = fused;
    if (rest[0] === 'BiasAdd') {
      const b = this.input(node, 2);
      if (b.kind !== 'const' || b.value.data.length !== outC) throw new ConversionError(`'${node.name}': the bias must be a constant of ${outC} values`);
      inputs.push(this.initializer(b.tfName, [outC], () => Float32Array.from(b.value.data)));
      rest = rest.slice(1);
    } else if (rest.length > 0 || numArgs > 0) {
      throw new ConversionError(`'${node.name}': fused ops [${fused.join(', ')}] are not supported (BiasAdd first)`);
    }
    const convOut = rest.length > 0 ? this.fresh(`${node.name}/conv`) : this.fresh(node.name);
    this.emit('Conv', inputs, [convOut], {
      kernel_shape: { kind: 'ints', value: [kh, kw] },
      strides: { kind: 'ints', value: [sh, sw] },
      dilations: { kind: 'ints', value: [dh, dw] },
      pads: { kind: 'ints', value: pads },
      group: { kind: 'int', value: depthwise ? cin : 1 },
    });
    let out = convOut;
    for (const act of rest) {
      const next = this.fresh(node.name);
      if (act === 'Relu') this.emit('Relu', [out], [next]);
      else if (act === 'Relu6') this.emit('Clip', [out, this.scalar(0), this.scalar(6)], [next]);
      else throw new ConversionError(`'${node.name}': fused activation ${act} is not supported`);
      out = next;
    }
    return { kind: 'nchw', name: out, shape: [outC, outH, outW] };
  }

  private binary(node: TfNode): Value {
    const onnxOp = node.op === 'Sub' ? 'Sub' : node.op === 'Mul' ? 'Mul' : 'Add';
    const hard = this.fuse ? this.matchHard(node) : undefined;
    if (hard) return this.emitHard(node, hard);
    const a = this.input(node, 0);
    const b = this.input(node, 1);
    if (a.kind === 'const' && b.kind === 'const') throw new ConversionError(`'${node.name}': both inputs are constants (not folded)`);
    const act = (a.kind === 'const' ? b : a) as Extract<Value, { kind: 'nchw' | 'nc' }>;
    const operand = (v: Value): string => (v.kind === 'const' ? this.broadcastConst(node, v, act) : v.name);
    if (a.kind !== 'const' && b.kind !== 'const' && a.kind !== b.kind) throw new ConversionError(`'${node.name}': mixed ranks`);
    const out = this.fresh(node.name);
    this.emit(onnxOp, [operand(a), operand(b)], [out]);
    if (a.kind === 'nchw' && b.kind === 'nchw') {
      // Broadcast over H×W (e.g. the squeeze-excite scale N×C×1×1 times N×C×H×W).
      const shape: [number, number, number] = [Math.max(a.shape[0], b.shape[0]), Math.max(a.shape[1], b.shape[1]), Math.max(a.shape[2], b.shape[2])];
      return { kind: 'nchw', name: out, shape };
    }
    return { ...act, name: out };
  }

  /**
   * HardSigmoid: Mul(1/6, Relu6(Add(x, 3))) → HardSigmoid(x; α=1/6, β=0.5).
   * HardSwish: Mul(Mul(x, 1/6), Relu6(Add(x, 3))) → HardSwish(x).
   * The operand order of every Mul/Add may be either way round.
   */
  private matchHard(node: TfNode): HardPattern | undefined {
    if (node.op !== 'Mul') return undefined;
    const [r0, r1] = (node.input ?? []).filter((x) => !x.startsWith('^')).map(tensorName);
    const relu6Arg = (ref: string | undefined): string | undefined => {
      const relu = ref === undefined ? undefined : this.byName.get(ref);
      if (relu?.op !== 'Relu6') return undefined;
      const add = this.byName.get(tensorName(relu.input?.[0] ?? ''));
      if (!add || (add.op !== 'Add' && add.op !== 'AddV2')) return undefined;
      return this.splitConst(add, 3);
    };
    for (const [p, q] of [
      [r0, r1],
      [r1, r0],
    ]) {
      const x = relu6Arg(q);
      if (x === undefined) continue;
      if (this.isScalarConst(p, 1 / 6)) return { kind: 'HardSigmoid', x, sixth: this.weights.get(p!)!.data[0] };
      const mul = p === undefined ? undefined : this.byName.get(p);
      const [mx, sixth] = mul?.op === 'Mul' ? this.splitConstWithValue(mul, 1 / 6) : [undefined, 0];
      if (mx === x) return { kind: 'HardSwish', x, sixth };
    }
    return undefined;
  }

  /**
   * c·x·relu6(x+3) = 6c·HardSwish(x) and c·relu6(x+3) = 6c·HardSigmoid(x; 1/6, 0.5) exactly, so the graph's
   * own c (1/6 stored as float16 is 0.16662598, 6c = 0.99975586) is kept by a scalar Mul when 6c ≠ 1.
   * Dropping it cost 5e-3 relative error on the final features of centernet-mnv3 (bench/onnx/check.ts).
   */
  private emitHard(node: TfNode, hard: HardPattern): Value {
    const xv = this.values.get(hard.x);
    if (!xv || xv.kind === 'const') throw new ConversionError(`'${node.name}': ${hard.kind} of a constant`);
    const scale = Math.fround(6 * hard.sixth);
    const out = this.fresh(node.name);
    const hardOut = scale === 1 ? out : this.fresh(`${node.name}/${hard.kind}`);
    if (hard.kind === 'HardSwish') this.emit('HardSwish', [xv.name], [hardOut]);
    else this.emit('HardSigmoid', [xv.name], [hardOut], { alpha: { kind: 'float', value: 1 / 6 }, beta: { kind: 'float', value: 0.5 } });
    if (scale !== 1) this.emit('Mul', [hardOut, this.scalar(scale)], [out]);
    return { ...xv, name: out };
  }

  /** For a binary node with one scalar constant equal to `c` (float16 tolerance), the other input's name. */
  private splitConst(node: TfNode, c: number): string | undefined {
    return this.splitConstWithValue(node, c)[0];
  }

  /** As `splitConst`, with the constant's stored value. */
  private splitConstWithValue(node: TfNode, c: number): [string | undefined, number] {
    const [a, b] = (node.input ?? []).filter((x) => !x.startsWith('^')).map(tensorName);
    if (this.isScalarConst(b, c)) return [a, this.weights.get(b)!.data[0]];
    if (this.isScalarConst(a, c)) return [b, this.weights.get(a)!.data[0]];
    return [undefined, 0];
  }

  private isScalarConst(name: string | undefined, c: number): boolean {
    if (name === undefined) return false;
    const node = this.byName.get(name);
    if (node?.op !== 'Const') return false;
    const w = this.weights.get(name);
    return !!w && w.data.length === 1 && Math.abs(w.data[0] - c) <= 1e-3 * Math.abs(c);
  }

  /** A constant operand of an elementwise op, reshaped so it broadcasts like it did in NHWC. */
  private broadcastConst(node: TfNode, v: Extract<Value, { kind: 'const' }>, act: Extract<Value, { kind: 'nchw' | 'nc' }>): string {
    const { shape, data } = v.value;
    const f = Float32Array.from(data);
    const count = data.length;
    if (count === 1) return this.initializer(`${v.tfName}__scalar`, [], () => f);
    const channels = act.kind === 'nchw' ? act.shape[0] : act.channels;
    const perChannel = shape[shape.length - 1] === count && count === channels;
    if (!perChannel) throw new ConversionError(`'${node.name}': constant ${v.tfName} of shape [${shape.join(',')}] does not broadcast per channel`);
    return act.kind === 'nchw'
      ? this.initializer(`${v.tfName}__c11`, [count, 1, 1], () => f)
      : this.initializer(`${v.tfName}__c`, [count], () => f);
  }

  private mean(node: TfNode): Value {
    const x = this.activation(node, 0);
    const axesValue = this.input(node, 1);
    if (x.kind !== 'nchw' || axesValue.kind !== 'const') throw new ConversionError(`'${node.name}': Mean needs a rank-4 input and constant axes`);
    const axes = [...axesValue.value.data].map((a) => (a < 0 ? a + 4 : a)).sort();
    if (axes.length !== 2 || axes[0] !== 1 || axes[1] !== 2) throw new ConversionError(`'${node.name}': only Mean over H,W is supported (got [${axes}])`);
    const keep = node.attr?.keep_dims?.b === true;
    const out = this.fresh(node.name);
    this.emit('ReduceMean', [x.name], [out], { axes: { kind: 'ints', value: [2, 3] }, keepdims: { kind: 'int', value: keep ? 1 : 0 } });
    return keep ? { kind: 'nchw', name: out, shape: [x.shape[0], 1, 1] } : { kind: 'nc', name: out, channels: x.shape[0] };
  }

  private emit(opType: string, inputs: string[], outputs: string[], attributes?: OnnxNode['attributes']): void {
    this.onnxNodes.push({ opType, name: `${opType}_${this.onnxNodes.length}`, inputs, outputs, attributes });
  }

  /** Every ONNX name taken so far (graph input and outputs reserved up front). */
  private readonly used = new Set<string>();
  /** Initializer key → its ONNX name. */
  private readonly initializerNames = new Map<string, string>();

  /** A unique ONNX value name derived from a TF name. */
  private fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}__${k}`;
    this.used.add(name);
    return name;
  }

  /** The initializer for `key`, made once; its name never collides with a node output. */
  private initializer(key: string, dims: number[], make: () => Float32Array): string {
    let name = this.initializerNames.get(key);
    if (name === undefined) {
      name = this.fresh(key);
      this.initializerNames.set(key, name);
      this.initializers.set(name, { name, dims, data: make() });
    }
    return name;
  }

  private scalar(v: number): string {
    return this.initializer(`const_${v}`, [], () => Float32Array.of(v));
  }
}

/** HWIO (TF conv filter) → OIHW (ONNX Conv weight). */
export function hwioToOihw(w: ConstTensor): Float32Array {
  const [H, W, I, O] = w.shape;
  const out = new Float32Array(H * W * I * O);
  for (let h = 0; h < H; h++)
    for (let x = 0; x < W; x++)
      for (let i = 0; i < I; i++)
        for (let o = 0; o < O; o++) out[((o * I + i) * H + h) * W + x] = w.data[((h * W + x) * I + i) * O + o];
  return out;
}

/** TF depthwise filter H×W×C×M → ONNX grouped Conv weight (C·M)×1×H×W, output channel c·M + m (as TF). */
export function hwcmToDepthwiseOihw(w: ConstTensor): Float32Array {
  const [H, W, C, M] = w.shape;
  const out = new Float32Array(H * W * C * M);
  for (let h = 0; h < H; h++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++)
        for (let m = 0; m < M; m++) out[((c * M + m) * H + h) * W + x] = w.data[((h * W + x) * C + c) * M + m];
  return out;
}

function tensorName(ref: string): string {
  const s = ref.startsWith('^') ? ref.slice(1) : ref;
  const colon = s.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(s.slice(colon + 1)) ? s.slice(0, colon) : s;
}

function b64(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

function attrString(node: TfNode, key: string, dflt: string): string {
  const s = node.attr?.[key]?.s;
  return s === undefined ? dflt : b64(s);
}

function attrInts(node: TfNode, key: string, dflt: number[]): number[] {
  const l = node.attr?.[key]?.list?.i;
  return l && l.length > 0 ? l.map(Number) : dflt;
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
