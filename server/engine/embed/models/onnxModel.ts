/**
 * A user's own ONNX network (exported from PyTorch, timm, torchvision, Keras via tf2onnx, …) or a downloaded
 * ONNX Model Zoo entry: reads the file's interface and turns `--layers` names into an `OnnxPlan` that a worker
 * can run without reading anything else (`../embed/onnxRunner.ts`).
 *
 * - Input: the one graph input that is not an initializer; float32, rank 4, 3 channels. NCHW when dim 1 is 3
 *   (PyTorch), NHWC when dim 3 is 3 (Keras / TensorFlow); NCHW when both are symbolic. A fixed H×W sets the
 *   input size; a symbolic one takes `inputSize` (default 224). A fixed batch dimension (e.g. 1) is honoured
 *   by running that many images per call.
 * - Feature nodes: each name is a tensor name (a node output) or a node name (its first output); names that
 *   are not graph outputs yet are added as graph outputs when the model is loaded. No names = the model's own
 *   outputs. Unknown names fail listing similar names and the pooling/flatten nodes, which are the usual
 *   feature layers.
 * - Preprocessing: `(pixel − mean) / std` per RGB channel, in 0–255 pixel units (`PREPROCESS`). Default:
 *   ImageNet mean/std for NCHW (what torchvision and timm models expect), raw 0–255 for NHWC (Keras
 *   applications that include their own rescaling, and our TF.js user-model default).
 *
 * Nothing here imports ONNX Runtime: reading the graph is plain protobuf (`../embed/onnxRead.ts`).
 */
import * as fs from 'fs';
import { elemTypeName, ONNX_FLOAT, OnnxInfo, OnnxReadError, OnnxTensorInfo, readOnnxInfo } from '../onnxRead';

export type OnnxLayout = 'NCHW' | 'NHWC';

/** Per-channel (R, G, B) normalisation in 0–255 pixel units: the network sees (pixel − mean) / std. */
export interface Normalize {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

export const PREPROCESS_NAMES = ['imagenet', 'zero-one', 'raw255', 'minus-one-one'] as const;
export type PreprocessName = (typeof PREPROCESS_NAMES)[number];

export const PREPROCESS: Readonly<Record<PreprocessName, Normalize>> = {
  /** torchvision / timm default: [0,1] then mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225). */
  imagenet: { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] },
  'zero-one': { mean: [0, 0, 0], std: [255, 255, 255] },
  raw255: { mean: [0, 0, 0], std: [1, 1, 1] },
  'minus-one-one': { mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
};

export function isPreprocessName(x: unknown): x is PreprocessName {
  return typeof x === 'string' && (PREPROCESS_NAMES as readonly string[]).includes(x);
}

/** The default for a layout: ImageNet mean/std for NCHW, raw 0–255 for NHWC (see the file comment). */
export function defaultPreprocess(layout: OnnxLayout): PreprocessName {
  return layout === 'NCHW' ? 'imagenet' : 'raw255';
}

/** Everything a worker needs to run the model: plain data, posted to worker threads with the model. */
export interface OnnxPlan {
  readonly inputName: string;
  readonly layout: OnnxLayout;
  /** A fixed batch dimension (images per call), or null when any batch size runs. */
  readonly batch: number | null;
  /** Tensor names whose values become the feature blocks, in `featureNodes` order. */
  readonly outputs: readonly string[];
  /** The subset of `outputs` that must be added as graph outputs before loading. */
  readonly addOutputs: readonly string[];
  readonly normalize: Normalize;
  /** `normalize` for messages: a preset name, or the numbers. */
  readonly preprocessName: string;
}

export interface OnnxPlanOptions {
  /** Feature node or tensor names; empty = the graph's outputs. */
  readonly layers?: readonly string[];
  /** For a symbolic H×W (default 224); must match a fixed one. */
  readonly inputSize?: number;
  /** A preset name or explicit numbers; default by layout. */
  readonly preprocess?: PreprocessName | Normalize;
}

export interface OnnxModelPlan {
  readonly plan: OnnxPlan;
  readonly inputSize: number;
  /** The names as given (or the graph outputs), in order. */
  readonly featureNodes: readonly string[];
}

/** Thrown with a message that names the file and what to change; registry.ts rethrows it as `ModelError`. */
export class OnnxModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxModelError';
  }
}

export const DEFAULT_ONNX_INPUT_SIZE = 224;
/** Op types whose outputs are the usual feature layers: offered as suggestions when a name is unknown. */
const FEATURE_OPS = new Set(['GlobalAveragePool', 'AveragePool', 'ReduceMean', 'Flatten', 'GlobalMaxPool']);

export function readOnnxFile(file: string): OnnxInfo {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new OnnxModelError(`Cannot read ONNX model ${file}: ${(e as Error).message}`);
  }
  try {
    return readOnnxInfo(bytes);
  } catch (e) {
    if (e instanceof OnnxReadError) throw new OnnxModelError(`${file} is not a readable ONNX model (${e.message}).`);
    throw e;
  }
}

/** Reads `file` and plans how to run it. Throws `OnnxModelError`. */
export function planOnnxModel(file: string, opts: OnnxPlanOptions = {}): OnnxModelPlan {
  return planFromInfo(readOnnxFile(file), file, opts);
}

/** As `planOnnxModel`, from an already parsed graph (`file` is only used in messages). */
export function planFromInfo(info: OnnxInfo, file: string, opts: OnnxPlanOptions = {}): OnnxModelPlan {
  const input = pickInput(info, file);
  const { layout, size, batch } = inputGeometry(input, file, opts.inputSize);
  const byTensor = new Set<string>();
  const byNode = new Map<string, string>();
  for (const n of info.nodes) {
    for (const o of n.outputs) if (o) byTensor.add(o);
    if (n.name && n.outputs[0]) byNode.set(n.name, n.outputs[0]);
  }
  const graphOutputs = info.outputs.map((o) => o.name);
  const featureNodes = opts.layers && opts.layers.length > 0 ? [...opts.layers] : graphOutputs;
  if (featureNodes.length === 0) throw new OnnxModelError(`${file} declares no graph outputs; name the feature nodes with --layers.`);
  const missing = featureNodes.filter((n) => !byTensor.has(n) && !byNode.has(n));
  if (missing.length > 0) throw new OnnxModelError(unknownNodesMessage(missing, info, file));
  const outputs = featureNodes.map((n) => (byTensor.has(n) ? n : byNode.get(n)!));
  for (const [i, o] of outputs.entries()) {
    const declared = info.valueInfo.get(o) ?? info.outputs.find((x) => x.name === o);
    if (declared && declared.elemType !== 0 && declared.elemType !== ONNX_FLOAT) {
      throw new OnnxModelError(
        `${file}: feature node '${featureNodes[i]}' is ${elemTypeName(declared.elemType)}; LabelLint pools float32 tensors. ` +
          'In a quantised model pick the float tensor after a DequantizeLinear node.',
      );
    }
  }
  let normalize: Normalize;
  let preprocessName: string;
  if (opts.preprocess === undefined) {
    preprocessName = defaultPreprocess(layout);
    normalize = PREPROCESS[preprocessName as PreprocessName];
  } else if (typeof opts.preprocess === 'string') {
    if (!isPreprocessName(opts.preprocess)) {
      throw new OnnxModelError(`Unknown preprocessing '${String(opts.preprocess)}'. Valid: ${PREPROCESS_NAMES.join(', ')}.`);
    }
    preprocessName = opts.preprocess;
    normalize = PREPROCESS[opts.preprocess];
  } else {
    normalize = opts.preprocess;
    const same = PREPROCESS_NAMES.find((n) => sameNumbers(PREPROCESS[n], normalize));
    preprocessName = same ?? `mean ${normalize.mean.join('/')}, std ${normalize.std.join('/')}`;
  }
  const addOutputs = [...new Set(outputs.filter((o) => !graphOutputs.includes(o)))];
  if (addOutputs.length > 0 && info.externalData) {
    throw new OnnxModelError(
      `${file} keeps its weights in external data files, so LabelLint cannot add ${addOutputs.map((o) => `'${o}'`).join(', ')} as ` +
        'graph outputs to a copy of it. Re-save it as one file (onnx.save(model, path, save_as_external_data=False), under 2 GB) ' +
        'or export it with the feature tensors as outputs.',
    );
  }
  return {
    plan: { inputName: input.name, layout, batch, outputs, addOutputs, normalize, preprocessName },
    inputSize: size,
    featureNodes,
  };
}

function sameNumbers(a: Normalize, b: Normalize): boolean {
  return [0, 1, 2].every((i) => a.mean[i] === b.mean[i] && a.std[i] === b.std[i]);
}

function pickInput(info: OnnxInfo, file: string): OnnxTensorInfo {
  if (info.inputs.length !== 1) {
    const names = info.inputs.map((i) => `'${i.name}'`).join(', ') || 'none';
    throw new OnnxModelError(`${file} has ${info.inputs.length} inputs (${names}); LabelLint feeds one image tensor. Export the network with a single image input.`);
  }
  const input = info.inputs[0];
  if (input.elemType !== ONNX_FLOAT) {
    throw new OnnxModelError(`${file}: input '${input.name}' is ${elemTypeName(input.elemType)}; LabelLint feeds float32 images. Export with a float32 input.`);
  }
  return input;
}

function inputGeometry(input: OnnxTensorInfo, file: string, wanted: number | undefined): { layout: OnnxLayout; size: number; batch: number | null } {
  const shape = input.shape;
  const show = shape ? `[${shape.map((d) => (d === null ? '?' : d)).join(', ')}]` : 'unknown';
  if (!shape || shape.length !== 4) {
    throw new OnnxModelError(`${file}: input '${input.name}' has shape ${show}; LabelLint needs a batch of RGB images, [N, 3, H, W] or [N, H, W, 3].`);
  }
  const fixed = (d: number | string | null): number | null => (typeof d === 'number' && d > 0 ? d : null);
  let layout: OnnxLayout;
  if (fixed(shape[1]) === 3) layout = 'NCHW';
  else if (fixed(shape[3]) === 3) layout = 'NHWC';
  else if (fixed(shape[1]) === null && fixed(shape[3]) === null) layout = 'NCHW';
  else {
    throw new OnnxModelError(`${file}: input '${input.name}' has shape ${show}: no dimension of 3 channels; LabelLint feeds RGB images.`);
  }
  const [h, w] = layout === 'NCHW' ? [fixed(shape[2]), fixed(shape[3])] : [fixed(shape[1]), fixed(shape[2])];
  let size: number;
  if (h !== null || w !== null) {
    if (h === null || w === null || h !== w) {
      throw new OnnxModelError(`${file}: input '${input.name}' has shape ${show}; LabelLint feeds square images, so H and W must both be fixed and equal, or both free.`);
    }
    if (wanted !== undefined && wanted !== h) {
      throw new OnnxModelError(`${file}: the input is fixed at ${h}×${w}; an input size of ${wanted} cannot be used with it.`);
    }
    size = h;
  } else {
    size = wanted ?? DEFAULT_ONNX_INPUT_SIZE;
  }
  if (!Number.isInteger(size) || size < 16 || size > 2048) throw new OnnxModelError(`${file}: input size ${size} is out of range (16–2048).`);
  return { layout, size, batch: fixed(shape[0]) };
}

function unknownNodesMessage(missing: readonly string[], info: OnnxInfo, file: string): string {
  const names = [...new Set(info.nodes.flatMap((n) => [n.name, ...n.outputs]).filter(Boolean))];
  const lower = (s: string): string => s.toLowerCase();
  const similar = [
    ...new Set(
      missing.flatMap((m) => {
        const leaf = lower(m.split(/[/.:]/).filter(Boolean).pop() ?? m);
        // 'relu2' → 'relu', 'block_12' → 'block': a numbered sibling is the likeliest typo.
        const stem = leaf.replace(/[_-]?\d+$/, '');
        const key = stem.length >= 3 ? stem : leaf;
        return names.filter((n) => lower(n).includes(key) || lower(m).includes(lower(n.split(/[/.:]/).pop() ?? n)));
      }),
    ),
  ].slice(0, 8);
  const pools = info.nodes.filter((n) => FEATURE_OPS.has(n.opType)).map((n) => `${n.outputs[0]} (${n.opType}${n.name && n.name !== n.outputs[0] ? ` node '${n.name}'` : ''})`);
  const parts = [
    `${file}: no node or tensor named ${missing.map((m) => `'${m}'`).join(', ')} (${info.nodes.length} nodes).`,
  ];
  if (similar.length > 0) parts.push(`Similar names: ${similar.join(', ')}.`);
  if (pools.length > 0) parts.push(`Pooling/flatten outputs, the usual feature layers: ${pools.slice(-6).join(', ')}.`);
  parts.push(`Graph outputs: ${info.outputs.map((o) => o.name).join(', ') || 'none'}.`);
  return parts.join(' ');
}
