/**
 * A minimal protobuf encoder for the slice of the ONNX schema (onnx/onnx.proto, IR version 7+) that a
 * converted feed-forward graph needs: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto (tensor types only). Encoding only; nothing here parses protobuf.
 *
 * Wire format: each field is a varint key `(fieldNumber << 3) | wireType`, then a varint (type 0), 4
 * little-endian bytes (type 5) or a varint length and the bytes (type 2: strings, bytes, sub-messages,
 * packed repeated scalars).
 */

/** ONNX TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
export type OnnxDataTypeCode = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** AttributeProto.AttributeType values. */
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  /** FLOAT → Float32Array, INT32 → Int32Array, INT64 → BigInt64Array. Stored as raw_data (little-endian). */
  readonly data: Float32Array | Int32Array | BigInt64Array;
}

export type OnnxAttrValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'tensor'; readonly value: OnnxTensor };

export interface OnnxNode {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, OnnxAttrValue>>;
}

/** A tensor type: element type and dims, a string for a symbolic dimension (e.g. the batch 'N'). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: OnnxDataTypeCode;
  readonly shape: readonly (number | string)[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly docString?: string;
}

export interface OnnxModel {
  /** ONNX IR version (7 covers opsets up to 14, 8 up to 18). */
  readonly irVersion: number;
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly graph: OnnxGraph;
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Appends protobuf fields to a growing byte buffer. */
export class PbWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  get length(): number {
    return this.len;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Unsigned varint of a non-negative safe integer, or a negative int64 as its 10-byte two's complement. */
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`varint: ${v} is not a safe integer`);
    this.reserve(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  private key(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  /** int64/int32/enum/bool field (wire type 0). */
  int(field: number, v: number | bigint): this {
    return this.key(field, WIRE_VARINT).varint(v);
  }

  /** float field (wire type 5, little-endian IEEE 754 single). */
  float(field: number, v: number): this {
    this.key(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    return this.raw(b);
  }

  bytes(field: number, bytes: Uint8Array): this {
    return this.key(field, WIRE_LEN).varint(bytes.length).raw(bytes);
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  /** Embedded message: `build` writes its fields into a fresh writer. */
  message(field: number, build: (w: PbWriter) => void): this {
    const inner = new PbWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated varints (proto3 default for repeated scalars). */
  packedInts(field: number, values: readonly number[]): this {
    const inner = new PbWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated floats. */
  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }
}

// Field numbers from onnx.proto.
function writeTensor(w: PbWriter, t: OnnxTensor): void {
  for (const d of t.dims) w.int(1, d); // dims (repeated int64, unpacked is always accepted)
  const type = t.data instanceof Float32Array ? OnnxDataType.FLOAT : t.data instanceof Int32Array ? OnnxDataType.INT32 : OnnxDataType.INT64;
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new Error(`tensor ${t.name}: dims [${t.dims.join(',')}] hold ${count} values, data has ${t.data.length}`);
  w.int(2, type); // data_type
  w.string(8, t.name); // name
  w.bytes(9, littleEndianBytes(t.data)); // raw_data
}

function littleEndianBytes(a: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  if (a instanceof BigInt64Array) a.forEach((v, i) => dv.setBigInt64(i * 8, v, true));
  else if (a instanceof Int32Array) a.forEach((v, i) => dv.setInt32(i * 4, v, true));
  else a.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return out;
}

function writeAttribute(w: PbWriter, name: string, a: OnnxAttrValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value).int(20, AttrType.FLOAT);
      break;
    case 'int':
      w.int(3, a.value).int(20, AttrType.INT);
      break;
    case 'string':
      w.string(4, a.value).int(20, AttrType.STRING);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, a.value)).int(20, AttrType.TENSOR);
      break;
    case 'floats':
      w.packedFloats(7, a.value).int(20, AttrType.FLOATS);
      break;
    case 'ints':
      w.packedInts(8, a.value).int(20, AttrType.INTS);
      break;
  }
}

function writeNode(w: PbWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, a] of Object.entries(n.attributes ?? {})) w.message(5, (aw) => writeAttribute(aw, name, a));
}

function writeValueInfo(w: PbWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  // TypeProto.tensor_type (1) → TypeProto.Tensor { elem_type (1), shape (2) → TensorShapeProto { dim (1) } }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function writeGraph(w: PbWriter, g: OnnxGraph): void {
  for (const n of g.nodes) w.message(1, (nw) => writeNode(nw, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (tw) => writeTensor(tw, t));
  if (g.docString) w.string(10, g.docString);
  for (const v of g.inputs) w.message(11, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.message(12, (vw) => writeValueInfo(vw, v));
}

/** Serialises a model to ONNX protobuf bytes. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new PbWriter();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  w.message(7, (gw) => writeGraph(gw, m.graph));
  // OperatorSetIdProto { domain (1) = '' (default domain, omitted), version (2) }
  w.message(8, (ow) => ow.int(2, m.opsetVersion));
  return w.finish();
}
