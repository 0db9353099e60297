/**
 * Tiny ONNX networks written with the engine's own protobuf encoder, shaped like what PyTorch (NCHW, dynamic
 * batch, weights also listed as graph inputs by old exporters) and tf2onnx (NHWC, batch fixed at 1) produce.
 * Only the classifier output is a graph output: feature nodes must be added by the code under test.
 */
import { encodeModel, OnnxDataType, OnnxModel, OnnxNode, OnnxTensor } from '../../../server/engine/embed/onnxProto';

/** Deterministic weights in about [-0.5, 0.5]. */
function weights(name: string, dims: number[], seed: number): OnnxTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = 0.5 * Math.sin(seed * 12.9898 + i * 78.233);
  return { name, dims, data };
}

/**
 * NCHW, input 'pixels' [N, 3, H, W] (symbolic N, H, W unless given). Nodes (node name → tensor):
 *   conv1 → c1 [N,4,H,W] (3×3, pad 1); relu1 → feat; conv2 → c2 [N,6,H/2,W/2] (3×3, stride 2, pad 1);
 *   gap → pooled [N,6,1,1] (GlobalAveragePool); flat → flat_out [N,6]; fc → logits [N,2] (graph output).
 */
export function nchwNet(opts: { batch?: number; size?: number; channels?: number; inputType?: number } = {}): Uint8Array {
  const c = opts.channels ?? 3;
  const nodes: OnnxNode[] = [
    { opType: 'Conv', name: 'conv1', inputs: ['pixels', 'w1', 'b1'], outputs: ['c1'], attributes: { pads: { kind: 'ints', value: [1, 1, 1, 1] } } },
    { opType: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['feat'] },
    {
      opType: 'Conv', name: 'conv2', inputs: ['feat', 'w2'], outputs: ['c2'],
      attributes: { pads: { kind: 'ints', value: [1, 1, 1, 1] }, strides: { kind: 'ints', value: [2, 2] } },
    },
    { opType: 'GlobalAveragePool', name: 'gap', inputs: ['c2'], outputs: ['pooled'] },
    { opType: 'Flatten', name: 'flat', inputs: ['pooled'], outputs: ['flat_out'] },
    { opType: 'Gemm', name: 'fc', inputs: ['flat_out', 'wfc'], outputs: ['logits'], attributes: { transB: { kind: 'int', value: 1 } } },
  ];
  const inits = [weights('w1', [4, c, 3, 3], 1), weights('b1', [4], 2), weights('w2', [6, 4, 3, 3], 3), weights('wfc', [2, 6], 4)];
  const model: OnnxModel = {
    irVersion: 7,
    opsetVersion: 13,
    producerName: 'labellint-test',
    producerVersion: '1',
    graph: {
      name: 'tiny_nchw',
      nodes,
      initializers: inits,
      inputs: [
        { name: 'pixels', elemType: (opts.inputType ?? OnnxDataType.FLOAT) as 1, shape: [opts.batch ?? 'N', c, opts.size ?? 'H', opts.size ?? 'W'] },
        // Old exporters list every weight as a graph input too.
        { name: 'w1', elemType: OnnxDataType.FLOAT, shape: [4, c, 3, 3] },
      ],
      outputs: [{ name: 'logits', elemType: OnnxDataType.FLOAT, shape: [opts.batch ?? 'N', 2] }],
    },
  };
  return encodeModel(model);
}

/**
 * NHWC like tf2onnx output, input 'images:0' [1, S, S, 3] (batch fixed at 1). Nodes: to_nchw (Transpose) →
 * conv (3×3, pad 1) → act 'block/act:0' [1,5,S,S] (Relu) → to_nhwc 'block/out:0' [1,S,S,5] → head 'head/mean:0'
 * [1,5] (ReduceMean over H, W; the graph output).
 */
export function nhwcNet(size = 12): Uint8Array {
  const nodes: OnnxNode[] = [
    { opType: 'Transpose', name: 'to_nchw', inputs: ['images:0'], outputs: ['nchw'], attributes: { perm: { kind: 'ints', value: [0, 3, 1, 2] } } },
    { opType: 'Conv', name: 'conv', inputs: ['nchw', 'k'], outputs: ['conv_out'], attributes: { pads: { kind: 'ints', value: [1, 1, 1, 1] } } },
    { opType: 'Relu', name: 'act', inputs: ['conv_out'], outputs: ['block/act:0'] },
    { opType: 'Transpose', name: 'to_nhwc', inputs: ['block/act:0'], outputs: ['block/out:0'], attributes: { perm: { kind: 'ints', value: [0, 2, 3, 1] } } },
    {
      opType: 'ReduceMean', name: 'head', inputs: ['block/out:0'], outputs: ['head/mean:0'],
      attributes: { axes: { kind: 'ints', value: [1, 2] }, keepdims: { kind: 'int', value: 0 } },
    },
  ];
  return encodeModel({
    irVersion: 7,
    opsetVersion: 13,
    producerName: 'labellint-test',
    producerVersion: '1',
    graph: {
      name: 'tiny_nhwc',
      nodes,
      initializers: [weights('k', [5, 3, 3, 3], 5)],
      inputs: [{ name: 'images:0', elemType: OnnxDataType.FLOAT, shape: [1, size, size, 3] }],
      outputs: [{ name: 'head/mean:0', elemType: OnnxDataType.FLOAT, shape: [1, 5] }],
    },
  });
}

/** The weights `nchwNet` and `nhwcNet` use, by initializer name (for the reference forward pass). */
export function tinyWeights(channels = 3): Map<string, OnnxTensor> {
  return new Map(
    [weights('w1', [4, channels, 3, 3], 1), weights('b1', [4], 2), weights('w2', [6, 4, 3, 3], 3), weights('wfc', [2, 6], 4), weights('k', [5, 3, 3, 3], 5)].map(
      (t) => [t.name, t],
    ),
  );
}

/** Plain-loop 2-D convolution of one C×H×W image (the reference the ONNX results are checked against). */
export function refConv(x: Float32Array, c: number, h: number, w: number, k: OnnxTensor, stride: number, pad: number, bias?: OnnxTensor): { data: Float32Array; h: number; w: number } {
  const [o, , kh, kw] = k.dims;
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - kw) / stride) + 1;
  const out = new Float32Array(o * oh * ow);
  for (let oc = 0; oc < o; oc++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let sum = bias ? bias.data[oc] as number : 0;
        for (let ic = 0; ic < c; ic++) {
          for (let dy = 0; dy < kh; dy++) {
            for (let dx = 0; dx < kw; dx++) {
              const iy = y * stride + dy - pad;
              const ix = xo * stride + dx - pad;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              sum += x[(ic * h + iy) * w + ix] * (k.data[((oc * c + ic) * kh + dy) * kw + dx] as number);
            }
          }
        }
        out[(oc * oh + y) * ow + xo] = sum;
      }
    }
  }
  return { data: out, h: oh, w: ow };
}
