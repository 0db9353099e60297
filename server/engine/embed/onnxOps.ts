/** The ONNX converter's per-op translation table: one TF op → ONNX nodes, on values converted before it. */
import { Activation, activation, input, OpContext, Value } from './onnxOpContext';
import { emitHard, matchHard } from './onnxFuse';
import { attrInts, attrString, b64, ConversionError, hwcmToDepthwiseOihw, hwioToOihw, TfNode } from './onnxTfGraph';

/** Translates one TF node whose inputs are converted already; returns the value it stands for. */
type OpTranslator = (ctx: OpContext, node: TfNode) => Value;

/** TF op → its translation. Placeholder and the model's input node are handled by the graph walk (./onnxConvert.ts). */
const OPS: ReadonlyMap<string, OpTranslator> = new Map<string, OpTranslator>([
  ['Const', constant],
  ['Identity', (ctx, node) => input(ctx, node, 0)],
  ['Conv2D', (ctx, node) => conv(ctx, node, false)],
  ['_FusedConv2D', (ctx, node) => conv(ctx, node, false)],
  ['DepthwiseConv2dNative', (ctx, node) => conv(ctx, node, true)],
  ['FusedDepthwiseConv2dNative', (ctx, node) => conv(ctx, node, true)],
  ['Relu', unary],
  ['Sigmoid', unary],
  ['Relu6', relu6],
  ['Add', binary],
  ['AddV2', binary],
  ['Sub', binary],
  ['Mul', binary],
  ['Mean', mean],
  ['AddN', addN],
]);

/** Converts `node` by the table; an op not in it is reported by name. */
export function translateOp(ctx: OpContext, node: TfNode): Value {
  const translate = OPS.get(node.op);
  if (!translate) throw new ConversionError(`op '${node.op}' (node '${node.name}') is not supported by the ONNX converter`);
  return translate(ctx, node);
}

function constant(ctx: OpContext, node: TfNode): Value {
  const value = ctx.weights.get(node.name);
  if (!value) throw new ConversionError(`constant '${node.name}' has no weights (inline constants are not supported)`);
  return { kind: 'const', tfName: node.name, value };
}

/** Relu / Sigmoid: the ONNX op of the same name. */
function unary(ctx: OpContext, node: TfNode): Value {
  const x = activation(ctx, node, 0);
  const out = ctx.fresh(node.name);
  ctx.emit(node.op, [x.name], [out]);
  return { ...x, name: out };
}

/** Relu6 → Clip(0, 6). */
function relu6(ctx: OpContext, node: TfNode): Value {
  const x = activation(ctx, node, 0);
  const out = ctx.fresh(node.name);
  ctx.emit('Clip', [x.name, ctx.scalar(0), ctx.scalar(6)], [out]);
  return { ...x, name: out };
}

/** AddN over activations of one shape (residual sums after TF's AddOpsRewrite) → ONNX Sum. */
function addN(ctx: OpContext, node: TfNode): Value {
  const count = (node.input ?? []).filter((x) => !x.startsWith('^')).length;
  if (count < 1) throw new ConversionError(`'${node.name}' (AddN) has no inputs`);
  const inputs = Array.from({ length: count }, (_, i) => activation(ctx, node, i));
  const first = inputs[0];
  for (const v of inputs) {
    if (v.kind !== first.kind || (v.kind === 'nchw' && first.kind === 'nchw' && v.shape.join() !== first.shape.join())) {
      throw new ConversionError(`'${node.name}' (AddN): inputs differ in shape`);
    }
  }
  if (count === 1) return first;
  const out = ctx.fresh(node.name);
  ctx.emit('Sum', inputs.map((v) => v.name), [out]);
  return { ...first, name: out };
}

/** Output size and explicit ONNX pads [top, left, bottom, right] of a conv with TF padding 'SAME' or 'VALID'. */
interface ConvGeometry {
  readonly outH: number;
  readonly outW: number;
  readonly pads: number[];
}

function convGeometry(
  node: TfNode,
  padding: string,
  [H, W]: readonly [number, number],
  [kh, kw]: readonly [number, number],
  [sh, sw]: readonly [number, number],
  [dh, dw]: readonly [number, number],
): ConvGeometry {
  if (padding === 'SAME') {
    // TF: out = ceil(in / s); total = max((out-1)·s + (k-1)·d + 1 - in, 0); the odd pixel goes at the end.
    const outH = Math.ceil(H / sh);
    const outW = Math.ceil(W / sw);
    const th = Math.max((outH - 1) * sh + (kh - 1) * dh + 1 - H, 0);
    const tw = Math.max((outW - 1) * sw + (kw - 1) * dw + 1 - W, 0);
    return { outH, outW, pads: [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)] };
  }
  if (padding === 'VALID') {
    return { outH: Math.ceil((H - (kh - 1) * dh) / sh), outW: Math.ceil((W - (kw - 1) * dw) / sw), pads: [0, 0, 0, 0] };
  }
  throw new ConversionError(`'${node.name}': padding ${padding} is not supported`);
}

/** Conv2D / DepthwiseConv2dNative and their fused forms (+BiasAdd, Relu, Relu6) → Conv [+ Relu / Clip]. */
function conv(ctx: OpContext, node: TfNode, depthwise: boolean): Value {
  const x = input(ctx, node, 0);
  if (x.kind !== 'nchw') throw new ConversionError(`'${node.name}': input is not rank 4`);
  const w = input(ctx, node, 1);
  if (w.kind !== 'const' || w.value.shape.length !== 4) throw new ConversionError(`'${node.name}': the filter must be a rank-4 constant`);
  if (attrString(node, 'data_format', 'NHWC') !== 'NHWC') throw new ConversionError(`'${node.name}': only NHWC is supported`);
  const fused = (node.attr?.fused_ops?.list?.s ?? []).map(b64);
  const numArgs = Number(node.attr?.num_args?.i ?? 0);
  const [kh, kw, cin, mult] = w.value.shape; // HWIO, or HW·C·M for depthwise
  if (cin !== x.shape[0]) throw new ConversionError(`'${node.name}': filter expects ${cin} channels, input has ${x.shape[0]}`);
  const strides = attrInts(node, 'strides', [1, 1, 1, 1]);
  const dilations = attrInts(node, 'dilations', [1, 1, 1, 1]);
  const padding = attrString(node, 'padding', 'VALID');
  const [sh, sw] = [strides[1], strides[2]];
  const [dh, dw] = [dilations[1], dilations[2]];
  const { outH, outW, pads } = convGeometry(node, padding, [x.shape[1], x.shape[2]], [kh, kw], [sh, sw], [dh, dw]);
  const outC = depthwise ? cin * mult : mult;
  const weightName = ctx.initializer(`${w.tfName}${depthwise ? '__dw_oihw' : '__oihw'}`, [outC, depthwise ? 1 : cin, kh, kw], () =>
    depthwise ? hwcmToDepthwiseOihw(w.value) : hwioToOihw(w.value),
  );
  const inputs = [x.name, weightName];
  let rest = fused;
  if (rest[0] === 'BiasAdd') {
    const b = input(ctx, node, 2);
    if (b.kind !== 'const' || b.value.data.length !== outC) throw new ConversionError(`'${node.name}': the bias must be a constant of ${outC} values`);
    inputs.push(ctx.initializer(b.tfName, [outC], () => Float32Array.from(b.value.data)));
    rest = rest.slice(1);
  } else if (rest.length > 0 || numArgs > 0) {
    throw new ConversionError(`'${node.name}': fused ops [${fused.join(', ')}] are not supported (BiasAdd first)`);
  }
  const convOut = rest.length > 0 ? ctx.fresh(`${node.name}/conv`) : ctx.fresh(node.name);
  ctx.emit('Conv', inputs, [convOut], {
    kernel_shape: { kind: 'ints', value: [kh, kw] },
    strides: { kind: 'ints', value: [sh, sw] },
    dilations: { kind: 'ints', value: [dh, dw] },
    pads: { kind: 'ints', value: pads },
    group: { kind: 'int', value: depthwise ? cin : 1 },
  });
  let out = convOut;
  for (const act of rest) {
    const next = ctx.fresh(node.name);
    if (act === 'Relu') ctx.emit('Relu', [out], [next]);
    else if (act === 'Relu6') ctx.emit('Clip', [out, ctx.scalar(0), ctx.scalar(6)], [next]);
    else throw new ConversionError(`'${node.name}': fused activation ${act} is not supported`);
    out = next;
  }
  return { kind: 'nchw', name: out, shape: [outC, outH, outW] };
}

/** Add / AddV2 / Sub / Mul, with a constant operand broadcast per channel; a hard-swish Mul is fused (./onnxFuse.ts). */
function binary(ctx: OpContext, node: TfNode): Value {
  const onnxOp = node.op === 'Sub' ? 'Sub' : node.op === 'Mul' ? 'Mul' : 'Add';
  const hard = ctx.fuse ? matchHard(ctx, node) : undefined;
  if (hard) return emitHard(ctx, node, hard);
  const a = input(ctx, node, 0);
  const b = input(ctx, node, 1);
  if (a.kind === 'const' && b.kind === 'const') throw new ConversionError(`'${node.name}': both inputs are constants (not folded)`);
  const act = (a.kind === 'const' ? b : a) as Activation;
  const operand = (v: Value): string => (v.kind === 'const' ? broadcastConst(ctx, node, v, act) : v.name);
  if (a.kind !== 'const' && b.kind !== 'const' && a.kind !== b.kind) throw new ConversionError(`'${node.name}': mixed ranks`);
  const out = ctx.fresh(node.name);
  ctx.emit(onnxOp, [operand(a), operand(b)], [out]);
  if (a.kind === 'nchw' && b.kind === 'nchw') {
    // Broadcast over H×W (e.g. the squeeze-excite scale N×C×1×1 times N×C×H×W).
    const shape: [number, number, number] = [Math.max(a.shape[0], b.shape[0]), Math.max(a.shape[1], b.shape[1]), Math.max(a.shape[2], b.shape[2])];
    return { kind: 'nchw', name: out, shape };
  }
  return { ...act, name: out };
}

/** A constant operand of an elementwise op, reshaped so it broadcasts like it did in NHWC. */
function broadcastConst(ctx: OpContext, node: TfNode, v: Extract<Value, { kind: 'const' }>, act: Activation): string {
  const { shape, data } = v.value;
  const f = Float32Array.from(data);
  const count = data.length;
  if (count === 1) return ctx.initializer(`${v.tfName}__scalar`, [], () => f);
  const channels = act.kind === 'nchw' ? act.shape[0] : act.channels;
  const perChannel = shape[shape.length - 1] === count && count === channels;
  if (!perChannel) throw new ConversionError(`'${node.name}': constant ${v.tfName} of shape [${shape.join(',')}] does not broadcast per channel`);
  return act.kind === 'nchw'
    ? ctx.initializer(`${v.tfName}__c11`, [count, 1, 1], () => f)
    : ctx.initializer(`${v.tfName}__c`, [count], () => f);
}

/** Mean over H,W → ReduceMean over axes 2,3 (NCHW), keeping dims as TF's keep_dims says. */
function mean(ctx: OpContext, node: TfNode): Value {
  const x = activation(ctx, node, 0);
  const axesValue = input(ctx, node, 1);
  if (x.kind !== 'nchw' || axesValue.kind !== 'const') throw new ConversionError(`'${node.name}': Mean needs a rank-4 input and constant axes`);
  const axes = [...axesValue.value.data].map((a) => (a < 0 ? a + 4 : a)).sort();
  if (axes.length !== 2 || axes[0] !== 1 || axes[1] !== 2) throw new ConversionError(`'${node.name}': only Mean over H,W is supported (got [${axes}])`);
  const keep = node.attr?.keep_dims?.b === true;
  const out = ctx.fresh(node.name);
  ctx.emit('ReduceMean', [x.name], [out], { axes: { kind: 'ints', value: [2, 3] }, keepdims: { kind: 'int', value: keep ? 1 : 0 } });
  return keep ? { kind: 'nchw', name: out, shape: [x.shape[0], 1, 1] } : { kind: 'nc', name: out, channels: x.shape[0] };
}
