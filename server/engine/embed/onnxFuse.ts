/** Hard-swish / hard-sigmoid fusion for the ONNX converter: TF's c·x·relu6(x+3) patterns → HardSwish / HardSigmoid. */
import { OpContext, Value } from './onnxOpContext';
import { ConversionError, tensorName, TfNode } from './onnxTfGraph';

/** A matched hard-swish / hard-sigmoid: its input x and the graph's constant for 1/6. */
export interface HardPattern {
  readonly kind: 'HardSwish' | 'HardSigmoid';
  readonly x: string;
  readonly sixth: number;
}

/**
 * HardSigmoid: Mul(1/6, Relu6(Add(x, 3))) → HardSigmoid(x; α=1/6, β=0.5).
 * HardSwish: Mul(Mul(x, 1/6), Relu6(Add(x, 3))) → HardSwish(x).
 * The operand order of every Mul/Add may be either way round.
 */
export function matchHard(ctx: OpContext, node: TfNode): HardPattern | undefined {
  if (node.op !== 'Mul') return undefined;
  const [r0, r1] = (node.input ?? []).filter((x) => !x.startsWith('^')).map(tensorName);
  const relu6Arg = (ref: string | undefined): string | undefined => {
    const relu = ref === undefined ? undefined : ctx.byName.get(ref);
    if (relu?.op !== 'Relu6') return undefined;
    const add = ctx.byName.get(tensorName(relu.input?.[0] ?? ''));
    if (!add || (add.op !== 'Add' && add.op !== 'AddV2')) return undefined;
    return splitConst(ctx, add, 3);
  };
  for (const [p, q] of [
    [r0, r1],
    [r1, r0],
  ]) {
    const x = relu6Arg(q);
    if (x === undefined) continue;
    if (isScalarConst(ctx, p, 1 / 6)) return { kind: 'HardSigmoid', x, sixth: ctx.weights.get(p!)!.data[0] };
    const mul = p === undefined ? undefined : ctx.byName.get(p);
    const [mx, sixth] = mul?.op === 'Mul' ? splitConstWithValue(ctx, mul, 1 / 6) : [undefined, 0];
    if (mx === x) return { kind: 'HardSwish', x, sixth };
  }
  return undefined;
}

/**
 * c·x·relu6(x+3) = 6c·HardSwish(x) and c·relu6(x+3) = 6c·HardSigmoid(x; 1/6, 0.5) exactly, so the graph's
 * own c (1/6 stored as float16 is 0.16662598, 6c = 0.99975586) is kept by a scalar Mul when 6c ≠ 1.
 * Dropping it cost 5e-3 relative error on the final features of centernet-mnv3 (bench/onnx/check.ts).
 */
export function emitHard(ctx: OpContext, node: TfNode, hard: HardPattern): Value {
  const xv = ctx.converted(hard.x);
  if (!xv || xv.kind === 'const') throw new ConversionError(`'${node.name}': ${hard.kind} of a constant`);
  const scale = Math.fround(6 * hard.sixth);
  const out = ctx.fresh(node.name);
  const hardOut = scale === 1 ? out : ctx.fresh(`${node.name}/${hard.kind}`);
  if (hard.kind === 'HardSwish') ctx.emit('HardSwish', [xv.name], [hardOut]);
  else ctx.emit('HardSigmoid', [xv.name], [hardOut], { alpha: { kind: 'float', value: 1 / 6 }, beta: { kind: 'float', value: 0.5 } });
  if (scale !== 1) ctx.emit('Mul', [hardOut, ctx.scalar(scale)], [out]);
  return { ...xv, name: out };
}

/** For a binary node with one scalar constant equal to `c` (float16 tolerance), the other input's name. */
function splitConst(ctx: OpContext, node: TfNode, c: number): string | undefined {
  return splitConstWithValue(ctx, node, c)[0];
}

/** As `splitConst`, with the constant's stored value. */
function splitConstWithValue(ctx: OpContext, node: TfNode, c: number): [string | undefined, number] {
  const [a, b] = (node.input ?? []).filter((x) => !x.startsWith('^')).map(tensorName);
  if (isScalarConst(ctx, b, c)) return [a, ctx.weights.get(b)!.data[0]];
  if (isScalarConst(ctx, a, c)) return [b, ctx.weights.get(a)!.data[0]];
  return [undefined, 0];
}

function isScalarConst(ctx: OpContext, name: string | undefined, c: number): boolean {
  if (name === undefined) return false;
  const node = ctx.byName.get(name);
  if (node?.op !== 'Const') return false;
  const w = ctx.weights.get(name);
  return !!w && w.data.length === 1 && Math.abs(w.data[0] - c) <= 1e-3 * Math.abs(c);
}
