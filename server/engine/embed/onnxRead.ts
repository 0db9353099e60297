/**
 * Reading a user's ONNX file: a minimal protobuf reader for the slice of onnx/onnx.proto that tells us the
 * graph's inputs, outputs and node names, and `addGraphOutputs`, which returns the same model with some
 * intermediate tensors declared as graph outputs (so ONNX Runtime returns them). Writing goes through
 * `./onnxProto.ts`'s `PbWriter`; every field we do not understand is copied byte for byte.
 *
 * Field numbers (onnx.proto): ModelProto.graph = 7; GraphProto node = 1, initializer = 5, input = 11,
 * output = 12, value_info = 13; NodeProto input = 1, output = 2, name = 3, op_type = 4; ValueInfoProto
 * name = 1, type = 2; TypeProto.tensor_type = 1 → elem_type = 1, shape = 2 → dim = 1 → dim_value = 1 |
 * dim_param = 2; TensorProto name = 8, data_location = 14 (1 = EXTERNAL).
 */
import { PbWriter } from './onnxProto';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** TensorProto.DataType names for messages (subset). */
const ELEM_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64', 16: 'bfloat16',
};
export const ONNX_FLOAT = 1;

export function elemTypeName(t: number): string {
  return ELEM_TYPE_NAMES[t] ?? `type ${t}`;
}

export class OnnxReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxReadError';
  }
}

/** One protobuf field: number, wire type, and its value (a number for varints, a byte view otherwise). */
interface PbField {
  readonly field: number;
  readonly wire: number;
  /** Varint value (wire 0), else 0. */
  readonly int: number;
  /** Payload (wire 1, 2, 5), else empty. */
  readonly bytes: Uint8Array;
  /** Byte range of the whole field (key included) in the parent buffer. */
  readonly start: number;
  readonly end: number;
}

/** Iterates the fields of one message. Throws `OnnxReadError` on truncated or malformed input. */
function* fields(buf: Uint8Array): Generator<PbField> {
  let p = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= buf.length) throw new OnnxReadError('truncated varint');
      const b = buf[p++];
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new OnnxReadError('varint longer than 10 bytes');
  };
  const empty = new Uint8Array(0);
  while (p < buf.length) {
    const start = p;
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new OnnxReadError('field number 0');
    let int = 0;
    let bytes = empty;
    if (wire === WIRE_VARINT) {
      int = varint();
    } else if (wire === WIRE_LEN) {
      const len = varint();
      if (p + len > buf.length) throw new OnnxReadError('length-delimited field runs past the end');
      bytes = buf.subarray(p, p + len);
      p += len;
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      const len = wire === WIRE_FIXED64 ? 8 : 4;
      if (p + len > buf.length) throw new OnnxReadError('fixed-width field runs past the end');
      bytes = buf.subarray(p, p + len);
      p += len;
    } else {
      throw new OnnxReadError(`unsupported wire type ${wire}`);
    }
    yield { field, wire, int, bytes, start, end: p };
  }
}

const utf8 = new TextDecoder('utf-8');
const text = (b: Uint8Array): string => utf8.decode(b);

/** A tensor's declared type: element type and dims; a string is a symbolic dim, null an unknown one. */
export interface OnnxTensorInfo {
  readonly name: string;
  /** TensorProto.DataType; 0 when the value info carries no tensor type. */
  readonly elemType: number;
  /** null when no shape is declared. */
  readonly shape: readonly (number | string | null)[] | null;
}

export interface OnnxNodeInfo {
  readonly name: string;
  readonly opType: string;
  readonly outputs: readonly string[];
}

/** What `readOnnxInfo` learns about a model's main graph. */
export interface OnnxInfo {
  /** Graph inputs that are not initializers (old exporters list every weight as an input too). */
  readonly inputs: readonly OnnxTensorInfo[];
  readonly outputs: readonly OnnxTensorInfo[];
  readonly nodes: readonly OnnxNodeInfo[];
  /** Declared types of intermediate tensors (value_info), when the exporter or shape inference wrote them. */
  readonly valueInfo: ReadonlyMap<string, OnnxTensorInfo>;
  /** Some initializer keeps its data in an external file (models over 2 GB, or saved that way). */
  readonly externalData: boolean;
}

function readTensorInfo(buf: Uint8Array): OnnxTensorInfo {
  let name = '';
  let elemType = 0;
  let shape: (number | string | null)[] | null = null;
  for (const f of fields(buf)) {
    if (f.field === 1 && f.wire === WIRE_LEN) name = text(f.bytes);
    else if (f.field === 2 && f.wire === WIRE_LEN) {
      for (const t of fields(f.bytes)) {
        if (t.field !== 1 || t.wire !== WIRE_LEN) continue; // tensor_type only
        for (const tt of fields(t.bytes)) {
          if (tt.field === 1 && tt.wire === WIRE_VARINT) elemType = tt.int;
          else if (tt.field === 2 && tt.wire === WIRE_LEN) {
            shape = [];
            for (const d of fields(tt.bytes)) {
              if (d.field !== 1 || d.wire !== WIRE_LEN) continue;
              let dim: number | string | null = null;
              for (const x of fields(d.bytes)) {
                if (x.field === 1 && x.wire === WIRE_VARINT) dim = x.int;
                else if (x.field === 2 && x.wire === WIRE_LEN) dim = text(x.bytes);
              }
              shape.push(dim);
            }
          }
        }
      }
    }
  }
  return { name, elemType, shape };
}

function readNode(buf: Uint8Array): OnnxNodeInfo {
  let name = '';
  let opType = '';
  const outputs: string[] = [];
  for (const f of fields(buf)) {
    if (f.wire !== WIRE_LEN) continue;
    if (f.field === 2) outputs.push(text(f.bytes));
    else if (f.field === 3) name = text(f.bytes);
    else if (f.field === 4) opType = text(f.bytes);
  }
  return { name, opType, outputs };
}

/** Initializer name and whether its data lives in an external file; the (large) data itself is skipped. */
function readInitializer(buf: Uint8Array): { name: string; external: boolean } {
  let name = '';
  let external = false;
  for (const f of fields(buf)) {
    if (f.field === 8 && f.wire === WIRE_LEN) name = text(f.bytes);
    else if (f.field === 14 && f.wire === WIRE_VARINT) external = f.int === 1;
  }
  return { name, external };
}

function graphBytes(model: Uint8Array): Uint8Array {
  let graph: Uint8Array | undefined;
  for (const f of fields(model)) if (f.field === 7 && f.wire === WIRE_LEN) graph = f.bytes;
  if (!graph) throw new OnnxReadError('no graph (not an ONNX ModelProto?)');
  return graph;
}

/** Parses the main graph's interface and node list. Throws `OnnxReadError` when the bytes are not an ONNX model. */
export function readOnnxInfo(model: Uint8Array): OnnxInfo {
  const graph = graphBytes(model);
  const declaredInputs: OnnxTensorInfo[] = [];
  const outputs: OnnxTensorInfo[] = [];
  const nodes: OnnxNodeInfo[] = [];
  const valueInfo = new Map<string, OnnxTensorInfo>();
  const initializers = new Set<string>();
  let externalData = false;
  for (const f of fields(graph)) {
    if (f.wire !== WIRE_LEN) continue;
    if (f.field === 1) nodes.push(readNode(f.bytes));
    else if (f.field === 5) {
      const init = readInitializer(f.bytes);
      initializers.add(init.name);
      externalData ||= init.external;
    } else if (f.field === 11) declaredInputs.push(readTensorInfo(f.bytes));
    else if (f.field === 12) outputs.push(readTensorInfo(f.bytes));
    else if (f.field === 13) {
      const v = readTensorInfo(f.bytes);
      valueInfo.set(v.name, v);
    }
  }
  if (nodes.length === 0) throw new OnnxReadError('the graph has no nodes');
  return { inputs: declaredInputs.filter((i) => !initializers.has(i.name)), outputs, nodes, valueInfo, externalData };
}

/**
 * The model with `names` appended to its main graph's outputs (name only: ONNX Runtime infers their types).
 * Every other byte is kept as it was. Names already among the outputs are not added twice.
 */
export function addGraphOutputs(model: Uint8Array, names: readonly string[]): Uint8Array {
  if (names.length === 0) return model;
  const out = new PbWriter();
  let seen = false;
  for (const f of fields(model)) {
    if (f.field !== 7 || f.wire !== WIRE_LEN) {
      out.raw(model.subarray(f.start, f.end));
      continue;
    }
    if (seen) throw new OnnxReadError('more than one graph field');
    seen = true;
    const existing = new Set<string>();
    for (const g of fields(f.bytes)) if (g.field === 12 && g.wire === WIRE_LEN) existing.add(readTensorInfo(g.bytes).name);
    const graph = new PbWriter();
    graph.raw(f.bytes);
    for (const name of new Set(names)) if (!existing.has(name)) graph.message(12, (v) => v.string(1, name));
    out.bytes(7, graph.finish());
  }
  if (!seen) throw new OnnxReadError('no graph (not an ONNX ModelProto?)');
  return out.finish();
}
