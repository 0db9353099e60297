/**
 * Backbone registry: `resolveModel` turns a registry id (built-ins in ./spec.ts, ONNX Model Zoo downloads in
 * ./zoo.ts, user entries from ./userRegistry.ts; all listed by ./catalog.ts), a user's own `model.json` (read by
 * ./modelJson.ts) or a user's `.onnx` file (planned by ./onnxModel.ts) into a `ResolvedModel` (absolute file
 * paths, validated feature nodes, cache key). Re-exports the others, so callers import from here.
 *
 * Nothing here imports TensorFlow.js: resolving only reads and hashes files, so the main thread can do it
 * before any worker starts. Loading the network from a `ResolvedModel` lives in `./artifacts.ts`.
 *
 * Feature vector of every model: each feature node's output is mean-pooled over H×W (rank-4 outputs;
 * rank-2 outputs are used as they are), L2-normalised per block, the blocks concatenated in `featureNodes`
 * order and the whole vector L2-normalised again. See `../runner.ts`.
 *
 * Default chosen by bench/features.ts (2026-11-28, 2 cores shared with other benches, WASM, 2 workers; Tux Paint
 * stamps 424 images / 9 classes, Fashion-MNIST 1,000 / 10; 20 % noise, F1 = prune_by_noise_rate on the product's
 * probabilities, medians of 5 seeds). Columns: linear probe, 10-NN, F1 uniform, F1 class-pair — stamps | Fashion.
 *   centernet 5+11+14 mean @224 (default) 240-d  15–19 img/s  .625 .726 .508 .462 | .803 .781 .722 .595
 *   centernet 5+11+14 mean+max            480-d               .618 .731 .485 .457 | .825 .791 .747 .599
 *   centernet 5+11+14 mean + 2×2 grid    1200-d               .597 .708 .510 .461 | .815 .825 .735 .623
 *   centernet 5+11+14 PCA-whitened         64-d               .627 .689 .483 .457 | .800 .806 .724 .574
 *   centernet 5+11+14 mean @160           240-d  33–58 img/s  .620 .693 .512 .460 | .769 .752 .691 .575
 *   centernet 5+11+14 mean @128           240-d  59–68 img/s  .557 .672 .497 .445 | .772 .782 .717 .588
 *   centernet 11+14 / 14 / 14-expanded(720) / 5+11+14+14exp: no better on either set (see the bench output).
 * No variant beats the default on both sets by more than the sampling error (≈ 2 points on 424 stamps), so the
 * default stays: 224 input, mean pooling, L2 (no whitening, no flip TTA).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ModelError, readModelJson, detectFormat, listNodeNames, declaredInputSize, unknownNodeMessage, weightFiles, type ModelEncoding } from './modelJson';

export { ModelError, readModelJson, detectFormat, type ModelEncoding, type ModelFormat, type ModelJson } from './modelJson';
import { DEFAULT_MODEL_ID, PREPROCESS_VERSION, modelFilesDir, urlFileName, type ModelSpec, type PixelRange } from './spec';
import { listModels } from './catalog';
import { OnnxModelError, planOnnxModel, type OnnxPlan, type PreprocessName } from './onnxModel';
import { registryFromEnv } from './userRegistry';

export * from './spec';
export * from './catalog';
export { loadModelRegistry, parseModelRegistry } from './userRegistry';

/** A model ready to load: plain data, so it can be posted to a worker thread. */
export interface ResolvedModel {
  readonly spec: ModelSpec;
  /** The model.json, or the .onnx file of an ONNX model. */
  readonly modelJsonPath: string;
  /** Absolute paths of the weight shards, in manifest order. */
  readonly weightPaths: readonly string[];
  readonly encoding: ModelEncoding;
  /** Stable cache key: id, content hash and size of every file, feature nodes, preprocessing version. */
  readonly key: string;
  /** ONNX models only: input, layout, feature tensors and normalisation (see ./onnxModel.ts). */
  readonly onnx?: OnnxPlan;
  /**
   * Ensembles only (source kind 'members'): the member models, run on the same input, their blocks
   * concatenated in order. `spec.featureNodes` then lists every member's nodes; `modelJsonPath` and
   * `weightPaths` are the first member's (for messages), and `key` covers every member's files.
   */
  readonly members?: readonly ResolvedModel[];
}

export interface ResolveOptions {
  /** Input size for a user model whose input shape does not fix it (default 224). */
  readonly inputSize?: number;
  /** Pixel scaling for a user TF.js model (default '0-255'). */
  readonly pixelRange?: PixelRange;
  /** Normalisation for a user ONNX model (default: 'imagenet' for NCHW inputs, 'raw255' for NHWC). */
  readonly preprocess?: PreprocessName;
  /** Where files of `url` sources are looked up (default `defaultModelDir()`), under `<modelDir>/<id>/`. */
  readonly modelDir?: string;
  /**
   * User entries besides the built-ins. Default: the entries of the JSON file named by $LABELLINT_MODEL_REGISTRY,
   * if set (see `parseModelRegistry` for the format).
   */
  readonly registry?: readonly ModelSpec[];
}

export function getModelSpec(id: string, extra: readonly ModelSpec[] = []): ModelSpec | undefined {
  return listModels(extra).find((m) => m.id === id);
}

/**
 * Resolve a registry id, a path to a user's `model.json` (graph or layers model) or a path to a user's `.onnx`
 * file. `layers` overrides the feature nodes (names of graph nodes, Keras layers, or ONNX nodes/tensors); each
 * must exist in the model. Throws `ModelError` with a message a person can act on.
 */
export async function resolveModel(
  idOrPath: string = DEFAULT_MODEL_ID,
  layers?: readonly string[],
  options: ResolveOptions = {},
): Promise<ResolvedModel> {
  const extra = options.registry ?? registryFromEnv();
  const builtin = getModelSpec(idOrPath, extra);
  let spec: ModelSpec;
  let modelJsonPath: string;
  if (builtin?.source.kind === 'members') return resolveEnsemble(builtin, builtin.source.ids, layers, { ...options, registry: extra });
  if (builtin?.format === 'onnx') return resolveOnnx(builtin, locateSource(builtin, options), layers, options);
  if (!builtin && isOnnxPath(idOrPath)) {
    const file = path.resolve(idOrPath);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new ModelError(`ONNX model not found: ${file}.`);
    return resolveOnnx(undefined, file, layers, options);
  }
  if (builtin) {
    spec = builtin;
    modelJsonPath = locateSource(builtin, options);
  } else if (looksLikePath(idOrPath)) {
    modelJsonPath = path.resolve(idOrPath);
    if (fs.existsSync(modelJsonPath) && fs.statSync(modelJsonPath).isDirectory()) {
      modelJsonPath = path.join(modelJsonPath, 'model.json');
    }
    if (!fs.existsSync(modelJsonPath)) {
      throw new ModelError(`Model file not found: ${modelJsonPath}. Give the path of a TensorFlow.js model.json.`);
    }
    spec = {
      id: `custom:${path.basename(path.dirname(modelJsonPath))}/${path.basename(modelJsonPath)}`,
      name: `User model ${modelJsonPath}`,
      licence: 'unknown (user-supplied)',
      source: { kind: 'file', modelJson: modelJsonPath },
      format: 'graph', // corrected below from the file
      inputSize: 0,
      pixelRange: options.pixelRange ?? '0-255',
      featureNodes: [],
      dim: 0,
      notes: 'User-supplied model.',
    };
  } else {
    throw new ModelError(
      `Unknown model '${idOrPath}'. Use one of: ${listModels(extra).map((m) => m.id).join(', ')}, ` +
        'or the path of a TensorFlow.js model.json or of an .onnx file.',
    );
  }

  const encoding: ModelEncoding = modelJsonPath.endsWith('.js') ? 'js-module' : 'json';
  const json = readModelJson(modelJsonPath, encoding);
  const format = detectFormat(json, modelJsonPath);
  const available = listNodeNames(json, format);
  const featureNodes = layers && layers.length > 0 ? [...layers] : [...spec.featureNodes];
  for (const node of featureNodes) {
    if (!available.includes(node)) throw new ModelError(unknownNodeMessage(node, available, modelJsonPath, format));
  }
  if (spec.inputNode && !available.includes(spec.inputNode)) {
    throw new ModelError(unknownNodeMessage(spec.inputNode, available, modelJsonPath, format));
  }
  const weightPaths = weightFiles(json, modelJsonPath, encoding);
  if (!builtin) {
    const declared = declaredInputSize(json, format);
    const inputSize = options.inputSize ?? declared ?? 224;
    spec = {
      ...spec,
      format,
      inputSize,
      // A fixed H×W that differs from the requested size must be relaxed; the batch dimension always is.
      graphPatch: format === 'graph' ? { relaxInputShape: declared !== inputSize, dropSignature: declared !== inputSize } : undefined,
    };
  } else if (format !== spec.format) {
    throw new ModelError(`${spec.id}: ${modelJsonPath} is a ${format} model, the registry says ${spec.format}.`);
  }
  if (layers && layers.length > 0) {
    spec = { ...spec, featureNodes, dim: sameList(featureNodes, builtin?.featureNodes ?? []) ? spec.dim : 0 };
  }
  if (!Number.isInteger(spec.inputSize) || spec.inputSize < 16 || spec.inputSize > 2048) {
    throw new ModelError(`Input size ${spec.inputSize} is out of range (16–2048).`);
  }
  const key = modelKey(spec, [modelJsonPath, ...weightPaths]);
  return { spec, modelJsonPath, weightPaths, encoding, key };
}

/**
 * An ONNX model (`spec.format === 'onnx'`): the registry entry `spec` (undefined for a user's file at `file`),
 * planned by ./onnxModel.ts. The layout and input shape come from the file, whose bytes are in the key.
 */
function resolveOnnx(spec: ModelSpec | undefined, file: string, layers: readonly string[] | undefined, options: ResolveOptions): ResolvedModel {
  let planned;
  try {
    planned = planOnnxModel(file, {
      layers: layers && layers.length > 0 ? layers : spec?.featureNodes,
      inputSize: spec ? spec.inputSize : options.inputSize,
      preprocess: spec ? spec.preprocess : options.preprocess,
    });
  } catch (e) {
    if (e instanceof OnnxModelError) throw new ModelError(spec ? `${spec.id}: ${e.message}` : e.message);
    throw e;
  }
  const resolved: ModelSpec = spec
    ? { ...spec, featureNodes: planned.featureNodes, dim: sameList(planned.featureNodes, spec.featureNodes) ? spec.dim : 0 }
    : {
        id: `custom:${path.basename(path.dirname(file))}/${path.basename(file)}`,
        name: `User model ${file}`,
        licence: 'unknown (user-supplied)',
        source: { kind: 'file', modelJson: file },
        format: 'onnx',
        inputSize: planned.inputSize,
        pixelRange: '0-255',
        preprocess: planned.plan.normalize,
        featureNodes: planned.featureNodes,
        dim: 0,
        notes: 'User-supplied ONNX model.',
      };
  const withNorm: ModelSpec = { ...resolved, preprocess: planned.plan.normalize };
  return { spec: withNorm, modelJsonPath: file, weightPaths: [], encoding: 'onnx', key: modelKey(withNorm, [file]), onnx: planned.plan };
}

/**
 * An ensemble: each member resolved as itself (so each keeps its own graph patch and input node), checked to
 * take the same input, and combined. Its feature nodes are fixed: `layers` is refused with a message.
 */
async function resolveEnsemble(
  spec: ModelSpec,
  ids: readonly string[],
  layers: readonly string[] | undefined,
  options: ResolveOptions,
): Promise<ResolvedModel> {
  if (layers && layers.length > 0) {
    throw new ModelError(`${spec.id} combines ${ids.join(' and ')}; its layers are fixed. To choose layers, pick one of them as the model.`);
  }
  if (ids.length < 2) throw new ModelError(`${spec.id}: an ensemble needs at least two members.`);
  const members: ResolvedModel[] = [];
  for (const id of ids) {
    const member = getModelSpec(id, options.registry);
    if (!member || member.source.kind === 'members' || member.format !== 'graph') {
      throw new ModelError(`${spec.id}: member '${id}' must be a registered TF.js graph model.`);
    }
    members.push(await resolveModel(id, undefined, options));
  }
  for (const m of members) {
    if (m.spec.inputSize !== spec.inputSize || m.spec.pixelRange !== spec.pixelRange) {
      throw new ModelError(`${spec.id}: member ${m.spec.id} takes ${m.spec.inputSize}px ${m.spec.pixelRange} input, the ensemble ${spec.inputSize}px ${spec.pixelRange}.`);
    }
  }
  const featureNodes = members.flatMap((m) => m.spec.featureNodes);
  const dim = members.every((m) => m.spec.dim > 0) ? members.reduce((s, m) => s + m.spec.dim, 0) : 0;
  if (spec.dim > 0 && dim !== spec.dim) throw new ModelError(`${spec.id}: members give ${dim} values, the registry says ${spec.dim}.`);
  const resolved: ModelSpec = { ...spec, featureNodes, dim };
  const key = [spec.id, `pp=${PREPROCESS_VERSION}`, ...members.map((m) => `(${m.key})`)].join('|');
  return { spec: resolved, modelJsonPath: members[0].modelJsonPath, weightPaths: members[0].weightPaths, encoding: members[0].encoding, key, members };
}

/** id + content hash and byte size of every file + feature nodes + input size + pixel range + preprocessing version. */
export function modelKey(spec: ModelSpec, files: readonly string[]): string {
  const h = crypto.createHash('sha256');
  let bytes = 0;
  for (const f of files) {
    const data = fs.readFileSync(f);
    bytes += data.length;
    h.update(data);
  }
  const nodes = crypto.createHash('sha256').update(spec.featureNodes.join('\n')).digest('hex').slice(0, 8);
  return [
    // A user model is identified by its content, not its path: moving it keeps its cache.
    spec.source.kind === 'file' ? 'custom' : spec.id,
    `files=${h.digest('hex').slice(0, 16)}:${bytes}`,
    `nodes=${nodes}`,
    `in=${spec.inputSize}`,
    `px=${spec.pixelRange}`,
    `pp=${PREPROCESS_VERSION}`,
    // Graphs entered at an inner node (absent otherwise, so older keys stay valid).
    ...(spec.inputNode ? [`input=${spec.inputNode}`] : []),
    // ONNX models: the normalisation (TF.js keys are unchanged, so their caches stay valid).
    ...(spec.format === 'onnx' && spec.preprocess ? [`norm=${[...spec.preprocess.mean, ...spec.preprocess.std].join(',')}`] : []),
  ].join('|');
}

function locateSource(spec: ModelSpec, options: ResolveOptions): string {
  const src = spec.source;
  switch (src.kind) {
    case 'file':
      return path.resolve(src.modelJson);
    case 'npm': {
      const root = findPackageRoot(src.package);
      if (!root) throw new ModelError(`${spec.id}: npm package ${src.package}@${src.version} is not installed.`);
      const file = path.join(root, src.modelJson);
      if (!fs.existsSync(file)) throw new ModelError(`${spec.id}: ${src.modelJson} is missing from ${root}.`);
      return file;
    }
    case 'members':
      throw new ModelError(`${spec.id} is an ensemble; it has no file of its own.`);
    case 'url': {
      const dir = modelFilesDir(spec, options.modelDir);
      for (const f of src.files) {
        const local = path.join(dir, urlFileName(f.url));
        if (!fs.existsSync(local)) {
          throw new ModelError(
            `${spec.id} is not downloaded (${local} is missing). Run 'labellint models download ${spec.id}'` +
              `${options.modelDir ? ` --dir ${options.modelDir}` : ''} to fetch it from ${f.url}.`,
          );
        }
        const digest = crypto.createHash('sha256').update(fs.readFileSync(local)).digest('hex');
        if (digest !== f.sha256.toLowerCase()) {
          throw new ModelError(`${spec.id}: ${local} has sha256 ${digest}, expected ${f.sha256}; delete it and download again.`);
        }
      }
      return path.join(dir, urlFileName(src.files[0].url));
    }
  }
}

/** Finds `<node_modules>/<pkg>` without `require.resolve(pkg/package.json)`, which `exports` maps may forbid. */
function findPackageRoot(pkg: string): string | undefined {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = path.join(dir, pkg);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  return undefined;
}

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes('\\') || s.endsWith('.json') || isOnnxPath(s);
}

function isOnnxPath(s: string): boolean {
  return s.toLowerCase().endsWith('.onnx');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
