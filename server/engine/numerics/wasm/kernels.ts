/**
 * Hand-assembled WebAssembly SIMD (f32x4) kernel for blocked A·Bᵀ, with an optional fused "does any score in this
 * block beat its row's threshold" flag for kNN top-k selection.
 *
 * Layouts (all float32, chosen so the inner loop needs no horizontal sums and only two moving pointers):
 *   A, "row blocks": block rb holds rows 4rb..4rb+3 interleaved by dimension, [t][r] (d×4 floats, 16·d bytes);
 *   B, "pairs":      pair p holds rows 8p..8p+7 interleaved by dimension, [t][c] (d×8 floats, 32·d bytes);
 *   C:               row-major with a byte stride, C[4rb+r][8p+c].
 * Rows past the end are zero-padded by the packers. Each output is Σ_t a[t]·b[t] accumulated in float32 in t order
 * (separate multiply and add, no FMA), so a score does not depend on blocking, tiling or the number of workers.
 *
 * The inner loop keeps 8 accumulators (4 rows × 2 candidate vectors) + 3 operand registers live, which fits the
 * 16 XMM registers V8 allocates on x64.
 */
import { FuncBuilder, ValType, assembleModule } from './encoder';

const PAGE = 65536;

function buildAbt(withFlags: boolean): FuncBuilder {
  const I = ValType.I32, V = ValType.V128;
  // (aPtr, nRowBlocks, d, bPtr, nPairs, cPtr, ldcBytes, thrPtr, flagPtr)
  const f = new FuncBuilder([I, I, I, I, I, I, I, I, I]);
  const [aPtr0, nRowBlocks, d, bPtr0, nPairs, cPtr, ldc, thrPtr, flagPtr] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const rb = f.local(I), p = f.local(I), aBlk = f.local(I), bPair = f.local(I), aPtr = f.local(I), bPtr = f.local(I);
  const bEnd = f.local(I), cOff = f.local(I), blkStride = f.local(I), pairStride = f.local(I);
  const c = [f.local(I), f.local(I), f.local(I), f.local(I)];
  const acc = Array.from({ length: 8 }, () => f.local(V));
  const b0 = f.local(V), b1 = f.local(V), av = f.local(V);
  const th = [f.local(V), f.local(V), f.local(V), f.local(V)];

  f.get(d).i32(16).i32Mul().set(blkStride);
  f.get(d).i32(32).i32Mul().set(pairStride);
  f.get(aPtr0).set(aBlk);
  f.get(cPtr).set(c[0]);
  f.get(nRowBlocks).set(rb);
  f.block();
  f.get(rb).i32Eqz().brIf(0);
  f.loop(); // rows
  {
    for (let r = 1; r < 4; r++) f.get(c[r - 1]).get(ldc).i32Add().set(c[r]);
    if (withFlags) for (let r = 0; r < 4; r++) f.get(thrPtr).v128Load32Splat(4 * r).set(th[r]);
    f.get(bPtr0).set(bPair);
    f.i32(0).set(cOff);
    f.get(nPairs).set(p);
    f.block();
    f.get(p).i32Eqz().brIf(0);
    f.loop(); // pairs
    {
      for (const a of acc) f.v128Zero().set(a);
      f.get(aBlk).set(aPtr);
      f.get(bPair).tee(bPtr).get(pairStride).i32Add().set(bEnd);
      f.loop(); // dimensions
      {
        f.get(bPtr).v128Load(0).set(b0);
        f.get(bPtr).v128Load(16).set(b1);
        for (let r = 0; r < 4; r++) {
          f.get(aPtr).v128Load32Splat(4 * r).set(av);
          f.get(acc[2 * r]).get(av).get(b0).f32x4Mul().f32x4Add().set(acc[2 * r]);
          f.get(acc[2 * r + 1]).get(av).get(b1).f32x4Mul().f32x4Add().set(acc[2 * r + 1]);
        }
        f.get(aPtr).i32(16).i32Add().set(aPtr);
        f.get(bPtr).i32(32).i32Add().tee(bPtr).get(bEnd).i32LtU().brIf(0);
      }
      f.end();
      for (let r = 0; r < 4; r++) {
        f.get(c[r]).get(cOff).i32Add().get(acc[2 * r]).v128Store(0);
        f.get(c[r]).get(cOff).i32Add().get(acc[2 * r + 1]).v128Store(16);
      }
      if (withFlags) {
        f.get(flagPtr);
        for (let i = 0; i < 8; i++) {
          f.get(acc[i]).get(th[i >> 1]).f32x4Gt();
          if (i > 0) f.v128Or();
        }
        f.v128AnyTrue().i32Store8(0);
        f.get(flagPtr).i32(1).i32Add().set(flagPtr);
      }
      f.get(cOff).i32(32).i32Add().set(cOff);
      f.get(bPair).get(pairStride).i32Add().set(bPair);
      f.get(p).i32(1).i32Sub().tee(p).brIf(0);
    }
    f.end();
    f.end();
    f.get(aBlk).get(blkStride).i32Add().set(aBlk);
    f.get(c[3]).get(ldc).i32Add().set(c[0]);
    if (withFlags) f.get(thrPtr).i32(16).i32Add().set(thrPtr);
    f.get(rb).i32(1).i32Sub().tee(rb).brIf(0);
  }
  f.end();
  f.end();
  return f;
}

/** The module bytes; exported for tests. */
export function denseKernelBytes(): Uint8Array {
  return assembleModule([
    { name: 'abt', fn: buildAbt(false) },
    { name: 'abtFlag', fn: buildAbt(true) },
  ]);
}

let compiled: WebAssembly.Module | null | undefined;

/** Compiled module, or null when this runtime lacks WebAssembly SIMD (then callers use their plain-JS path). */
export function denseKernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const bytes = denseKernelBytes();
      compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

type AbtFn = (aPtr: number, nRowBlocks: number, d: number, bPtr: number, nPairs: number, cPtr: number, ldcBytes: number, thrPtr: number, flagPtr: number) => void;

/**
 * One instance with its own memory. Create one per call (instantiation of the compiled module takes microseconds),
 * so a large job's memory is garbage-collected with it rather than kept by a long-lived instance.
 */
export class DenseKernel {
  private constructor(private readonly memory: WebAssembly.Memory, private readonly fns: { abt: AbtFn; abtFlag: AbtFn }) {}

  static create(): DenseKernel | null {
    const mod = denseKernelModule();
    if (!mod) return null;
    const inst = new WebAssembly.Instance(mod, {});
    const e = inst.exports as unknown as { memory: WebAssembly.Memory; abt: AbtFn; abtFlag: AbtFn };
    return new DenseKernel(e.memory, { abt: e.abt, abtFlag: e.abtFlag });
  }

  /** Reserves regions of the given byte sizes (16-byte aligned) and returns their offsets; grows memory once. */
  reserve(sizes: readonly number[]): number[] {
    let at = 16; // keep address 0 unused
    const offsets = sizes.map((s) => {
      const o = at;
      at += Math.ceil(s / 16) * 16;
      return o;
    });
    if (at > 2 ** 32 - PAGE) throw new Error(`DenseKernel: ${at} bytes exceed the 4 GiB WebAssembly address space`);
    const need = Math.ceil(at / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) this.memory.grow(need);
    return offsets;
  }

  f32(offset: number, length: number): Float32Array { return new Float32Array(this.memory.buffer, offset, length); }
  u8(offset: number, length: number): Uint8Array { return new Uint8Array(this.memory.buffer, offset, length); }

  /** C[4rb+r][8p+c] = A-block rb row r · B-pair p row c, for rb < nRowBlocks, p < nPairs. */
  abt(aPtr: number, nRowBlocks: number, d: number, bPtr: number, nPairs: number, cPtr: number, ldcBytes: number): void {
    this.fns.abt(aPtr, nRowBlocks, d, bPtr, nPairs, cPtr, ldcBytes, 0, 0);
  }

  /** As `abt`, and flag[rb·nPairs + p] = 1 when any score of that 4×8 block exceeds its row's threshold (thr: 4·nRowBlocks floats). */
  abtFlag(aPtr: number, nRowBlocks: number, d: number, bPtr: number, nPairs: number, cPtr: number, ldcBytes: number, thrPtr: number, flagPtr: number): void {
    this.fns.abtFlag(aPtr, nRowBlocks, d, bPtr, nPairs, cPtr, ldcBytes, thrPtr, flagPtr);
  }
}

/** Packs rows [row0, row0+rows) of src (row-major, d columns) into row blocks of 4 at dst (zero-padded). */
export function packRowBlocks(src: Float32Array, row0: number, rows: number, d: number, dst: Float32Array): void {
  const blocks = Math.ceil(rows / 4);
  dst.fill(0, 0, blocks * 4 * d);
  for (let r = 0; r < rows; r++) {
    const s = (row0 + r) * d, o = (r >> 2) * 4 * d + (r & 3);
    for (let t = 0; t < d; t++) dst[o + 4 * t] = src[s + t];
  }
}

/** Packs rows [row0, row0+rows) of src (row-major, d columns) into pairs of 8 at dst (zero-padded). */
export function packPairs(src: Float32Array, row0: number, rows: number, d: number, dst: Float32Array): void {
  const pairs = Math.ceil(rows / 8);
  dst.fill(0, 0, pairs * 8 * d);
  for (let r = 0; r < rows; r++) {
    const s = (row0 + r) * d, o = (r >> 3) * 8 * d + (r & 7);
    for (let t = 0; t < d; t++) dst[o + 8 * t] = src[s + t];
  }
}
