/** The TF.js side of the ONNX converter: graph node types, weight decoding, filter layouts, attribute helpers. */

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

/** The node name in a tensor reference ("node", "node:0", or "^node" for a control input). */
export function tensorName(ref: string): string {
  const s = ref.startsWith('^') ? ref.slice(1) : ref;
  const colon = s.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(s.slice(colon + 1)) ? s.slice(0, colon) : s;
}

/** A base64 string attribute (tfjs model.json stores them so), decoded. */
export function b64(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

/** String attribute `key` of `node`, or `dflt`. */
export function attrString(node: TfNode, key: string, dflt: string): string {
  const s = node.attr?.[key]?.s;
  return s === undefined ? dflt : b64(s);
}

/** Integer-list attribute `key` of `node`, or `dflt` when absent or empty. */
export function attrInts(node: TfNode, key: string, dflt: number[]): number[] {
  const l = node.attr?.[key]?.list?.i;
  return l && l.length > 0 ? l.map(Number) : dflt;
}
