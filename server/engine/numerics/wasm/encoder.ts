/**
 * A tiny WebAssembly binary assembler: just the sections and instructions the dense kernels in ./kernels need
 * (i32 scalar control flow, memory loads/stores, and a few 128-bit SIMD ops). Emitting the bytes directly keeps the
 * build free of a .wat toolchain (no wabt dependency); the module is a few hundred bytes and is compiled
 * synchronously when first used.
 *
 * Reference: WebAssembly Core Specification 2.0, §5 (binary format) and the SIMD proposal's opcode table.
 */

export const enum ValType { I32 = 0x7f, F32 = 0x7d, V128 = 0x7b }

/** Unsigned LEB128. */
export function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(v: number): number[] {
  const out: number[] = [];
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = Array.from(Buffer.from(s, 'utf8'));
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

const SIMD = 0xfd;

/** Instruction emitter for one function body. Locals are numbered params first, then declared locals. */
export class FuncBuilder {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];
  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[] = []) {}

  /** Declares a local and returns its index. */
  local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }

  private op(...bytes: number[]): this { this.code.push(...bytes); return this; }
  private simd(sub: number, ...rest: number[]): this { return this.op(SIMD, ...uleb(sub), ...rest); }
  private memarg(alignLog2: number, offset: number): number[] { return [...uleb(alignLog2), ...uleb(offset)]; }

  // control
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if_(): this { return this.op(0x04, 0x40); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { return this.op(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.op(0x0d, ...uleb(depth)); }
  // locals
  get(i: number): this { return this.op(0x20, ...uleb(i)); }
  set(i: number): this { return this.op(0x21, ...uleb(i)); }
  tee(i: number): this { return this.op(0x22, ...uleb(i)); }
  // i32
  i32(v: number): this { return this.op(0x41, ...sleb(v)); }
  i32Eqz(): this { return this.op(0x45); }
  i32LtU(): this { return this.op(0x49); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32Store8(offset = 0): this { return this.op(0x3a, ...this.memarg(0, offset)); }
  // v128
  v128Load(offset = 0): this { return this.simd(0x00, ...this.memarg(4, offset)); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09, ...this.memarg(2, offset)); }
  v128Store(offset = 0): this { return this.simd(0x0b, ...this.memarg(4, offset)); }
  v128Zero(): this { return this.simd(0x0c, ...new Array<number>(16).fill(0)); }
  v128Or(): this { return this.simd(0x50); }
  v128AnyTrue(): this { return this.simd(0x53); }
  f32x4Gt(): this { return this.simd(0x44); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Mul(): this { return this.simd(0xe6); }

  /** Function body bytes: local declarations (one group per local) then code and `end`. */
  body(): number[] {
    const decls = this.locals.map((t) => [1, t]);
    const b = [...vec(decls), ...this.code, 0x0b];
    return [...uleb(b.length), ...b];
  }
}

/** A module with one exported memory ("memory", `minPages` initial) and the given exported functions. */
export function assembleModule(funcs: readonly { name: string; fn: FuncBuilder }[], minPages = 1): Uint8Array {
  const types = funcs.map(({ fn }) => [0x60, ...vec(fn.params.map((t) => [t])), ...vec(fn.results.map((t) => [t]))]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(minPages)]])),
    ...section(7, vec([
      [...name('memory'), 0x02, 0x00],
      ...funcs.map(({ name: n }, i) => [...name(n), 0x00, ...uleb(i)]),
    ])),
    ...section(10, [...uleb(funcs.length), ...funcs.flatMap(({ fn }) => fn.body())]),
  ];
  return Uint8Array.from(bytes);
}
