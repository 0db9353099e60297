/**
 * The hand-written ONNX protobuf encoder: wire-format golden bytes, and a round trip through a small
 * generic protobuf reader written here (field numbers checked against onnx/onnx.proto).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeModel, OnnxModel, PbWriter } from '../../server/engine/embed/onnxProto';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('varints: small, multi-byte, and negative int64 as ten bytes', () => {
  const enc = (v: number | bigint): string => hex(new PbWriter().varint(v).finish());
  assert.equal(enc(0), '00');
  assert.equal(enc(1), '01');
  assert.equal(enc(127), '7f');
  assert.equal(enc(128), '8001');
  assert.equal(enc(300), 'ac02');
  assert.equal(enc(2 ** 32), '8080808010');
  assert.equal(enc(-1), 'ffffffffffffffffff01');
  assert.throws(() => new PbWriter().varint(0.5), RangeError);
});

test('field keys and wire types: varint, fixed32 float, length-delimited, packed', () => {
  assert.equal(hex(new PbWriter().int(1, 150).finish()), '089601'); // the protobuf docs' example
  assert.equal(hex(new PbWriter().string(2, 'testing').finish()), '120774657374696e67');
  assert.equal(hex(new PbWriter().float(2, 1).finish()), '150000803f');
  assert.equal(hex(new PbWriter().packedInts(8, [3, 270]).finish()), '4203038e02');
  assert.equal(hex(new PbWriter().packedFloats(7, [1]).finish()), '3a040000803f');
  assert.equal(hex(new PbWriter().message(5, (w) => w.int(1, 1)).finish()), '2a020801');
});

/** Minimal protobuf reader: field number → raw values (bigint for varints, bytes for the rest). */
function parse(buf: Uint8Array): Map<number, (bigint | Uint8Array)[]> {
  const out = new Map<number, (bigint | Uint8Array)[]>();
  let i = 0;
  const varint = (): bigint => {
    let x = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      x |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return x;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    let v: bigint | Uint8Array;
    if (wire === 0) v = varint();
    else if (wire === 5) v = buf.slice(i, (i += 4));
    else if (wire === 2) {
      const len = Number(varint());
      v = buf.slice(i, (i += len));
    } else throw new Error(`wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), v]);
  }
  return out;
}
const str = (v: bigint | Uint8Array | undefined): string => Buffer.from(v as Uint8Array).toString('utf8');
const msg = (v: bigint | Uint8Array | undefined): Map<number, (bigint | Uint8Array)[]> => parse(v as Uint8Array);

test('encodeModel: ModelProto / GraphProto / NodeProto / TensorProto / ValueInfoProto fields', () => {
  const model: OnnxModel = {
    irVersion: 7,
    opsetVersion: 14,
    producerName: 'p',
    producerVersion: '1',
    graph: {
      name: 'g',
      docString: 'doc',
      nodes: [
        {
          opType: 'Conv',
          name: 'c0',
          inputs: ['x', 'w'],
          outputs: ['y'],
          attributes: { pads: { kind: 'ints', value: [0, 0, 1, 1] }, group: { kind: 'int', value: 2 }, alpha: { kind: 'float', value: 0.5 } },
        },
      ],
      initializers: [{ name: 'w', dims: [2, 1], data: Float32Array.of(1.5, -2) }],
      inputs: [{ name: 'x', elemType: 1, shape: ['N', 4] }],
      outputs: [{ name: 'y', elemType: 1, shape: ['N', 2] }],
    },
  };
  const m = parse(encodeModel(model));
  assert.equal(m.get(1)?.[0], 7n); // ir_version
  assert.equal(str(m.get(2)?.[0]), 'p'); // producer_name
  const opset = msg(m.get(8)?.[0]);
  assert.equal(opset.get(1), undefined); // default domain
  assert.equal(opset.get(2)?.[0], 14n);
  const g = msg(m.get(7)?.[0]);
  assert.equal(str(g.get(2)?.[0]), 'g');
  assert.equal(str(g.get(10)?.[0]), 'doc');

  const node = msg(g.get(1)?.[0]);
  assert.deepEqual(node.get(1)?.map(str), ['x', 'w']);
  assert.deepEqual(node.get(2)?.map(str), ['y']);
  assert.equal(str(node.get(4)?.[0]), 'Conv');
  const attrs = new Map((node.get(5) ?? []).map((a) => [str(msg(a).get(1)?.[0]), msg(a)]));
  assert.equal(attrs.get('group')?.get(3)?.[0], 2n);
  assert.equal(attrs.get('group')?.get(20)?.[0], 2n); // AttributeType.INT
  assert.equal(hex(attrs.get('pads')?.get(8)?.[0] as Uint8Array), '00000101');
  assert.equal(attrs.get('pads')?.get(20)?.[0], 7n); // INTS
  assert.equal(Buffer.from(attrs.get('alpha')?.get(2)?.[0] as Uint8Array).readFloatLE(0), 0.5);
  assert.equal(attrs.get('alpha')?.get(20)?.[0], 1n); // FLOAT

  const t = msg(g.get(5)?.[0]);
  assert.deepEqual(t.get(1), [2n, 1n]); // dims
  assert.equal(t.get(2)?.[0], 1n); // FLOAT
  assert.equal(str(t.get(8)?.[0]), 'w');
  const raw = Buffer.from(t.get(9)?.[0] as Uint8Array);
  assert.deepEqual([raw.readFloatLE(0), raw.readFloatLE(4)], [1.5, -2]);

  const vi = msg(g.get(11)?.[0]);
  assert.equal(str(vi.get(1)?.[0]), 'x');
  const tensorType = msg(msg(vi.get(2)?.[0]).get(1)?.[0]);
  assert.equal(tensorType.get(1)?.[0], 1n);
  const dims = (msg(tensorType.get(2)?.[0]).get(1) ?? []).map(msg);
  assert.equal(str(dims[0].get(2)?.[0]), 'N');
  assert.equal(dims[1].get(1)?.[0], 4n);
  assert.equal(str(msg(g.get(12)?.[0]).get(1)?.[0]), 'y');
});

test('encodeModel rejects a tensor whose data does not match its dims', () => {
  const model: OnnxModel = {
    irVersion: 7,
    opsetVersion: 14,
    producerName: 'p',
    producerVersion: '1',
    graph: { name: 'g', nodes: [], initializers: [{ name: 'w', dims: [3], data: Float32Array.of(1) }], inputs: [], outputs: [] },
  };
  assert.throws(() => encodeModel(model), /dims \[3\] hold 3 values, data has 1/);
});
