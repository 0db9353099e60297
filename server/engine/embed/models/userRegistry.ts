/** User registry files: model entries besides the built-ins, validated field by field. */
import * as fs from 'fs';
import * as path from 'path';
import { DOWNLOADABLE_MODELS } from './catalog';
import { ModelError, type ModelFormat } from './modelJson';
import { isPreprocessName, PREPROCESS, PREPROCESS_NAMES, type Normalize } from './onnxModel';
import { BUILTIN_MODELS, PIXEL_RANGES, urlFileName, type GraphPatch, type ModelSource, type ModelSpec, type PixelRange, type UrlFile } from './spec';

/** Throws the `ModelError` for one bad field of the entry being read. */
type Bad = (field: string, want: string) => never;

/**
 * Reads a user registry file (CLI `--registry file.json`, or env LABELLINT_MODEL_REGISTRY; there is no
 * VS Code setting for it). Format: a JSON object `{ "models": [ entry, … ] }` (or a bare array of entries);
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
 * An ONNX entry has `"format": "onnx"`, one file (`"source": {"kind": "url", "files": [{"url": "…/net.onnx", …}]}`
 * or `{"kind": "file", "modelJson": "net.onnx"}`), feature node or tensor names, no `pixelRange`, and optionally
 * `"preprocess"`: "imagenet" | "zero-one" | "raw255" | "minus-one-one" or {"mean": [r,g,b], "std": [r,g,b]} in
 * 0–255 pixel units (default: imagenet for NCHW inputs, raw255 for NHWC). See ./zoo.ts for real entries.
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
  const seen = new Set([...BUILTIN_MODELS, ...DOWNLOADABLE_MODELS].map((m) => m.id));
  return entries.map((e: unknown, i: number) => {
    const bad: Bad = (field, want) => {
      throw new ModelError(`${what}: entry ${i}${isObject(e) && typeof e.id === 'string' ? ` ('${e.id}')` : ''}: ${field} must be ${want}.`);
    };
    if (!isObject(e)) return bad('the entry', 'an object');
    const id = e.id;
    if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(id)) return bad('id', 'a lower-case name ([a-z0-9][a-z0-9._-]*)');
    if (seen.has(id)) return bad('id', `unique (not a built-in or repeated id: '${id}')`);
    seen.add(id);
    const str = (f: string): string => (typeof e[f] === 'string' && (e[f] as string).length > 0 ? (e[f] as string) : bad(f, 'a non-empty string'));
    const format = e.format;
    if (format !== 'graph' && format !== 'layers' && format !== 'onnx') return bad('format', "'graph', 'layers' or 'onnx'");
    const inputSize = e.inputSize;
    if (typeof inputSize !== 'number' || !Number.isInteger(inputSize) || inputSize < 16 || inputSize > 2048) return bad('inputSize', 'an integer in 16–2048');
    const pixelRange = format === 'onnx' && e.pixelRange === undefined ? '0-255' : e.pixelRange;
    if (!PIXEL_RANGES.includes(pixelRange as PixelRange)) return bad('pixelRange', PIXEL_RANGES.map((r) => `'${r}'`).join(' or '));
    const preprocess = parsePreprocess(e.preprocess, format, bad);
    const nodes = e.featureNodes;
    if (!Array.isArray(nodes) || nodes.length === 0 || !nodes.every((n) => typeof n === 'string' && n.length > 0)) {
      return bad('featureNodes', 'a non-empty array of node names');
    }
    const dim = e.dim ?? 0;
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0) return bad('dim', 'a whole number (0 = unknown)');
    const source = parseSource(e.source, format, baseDir, bad);
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
      featureNodes: nodes as string[], dim, notes, ...(graphPatch ? { graphPatch } : {}), ...(preprocess ? { preprocess } : {}),
    };
  });
}

/** An entry's `source`: url files (one for an ONNX model), or a file relative to `baseDir`. */
function parseSource(src: unknown, format: ModelFormat, baseDir: string, bad: Bad): ModelSource {
  if (isObject(src) && src.kind === 'url') {
    const files = src.files;
    if (!Array.isArray(files) || files.length === 0) return bad('source.files', 'a non-empty array');
    if (format === 'onnx' && files.length !== 1) return bad('source.files', 'one file (the .onnx) for an ONNX model');
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
    return { kind: 'url', files: checked };
  }
  if (isObject(src) && src.kind === 'file' && typeof src.modelJson === 'string') {
    return { kind: 'file', modelJson: path.resolve(baseDir, src.modelJson) };
  }
  return bad('source', `{"kind": "url", "files": [...]} or {"kind": "file", "modelJson": "..."}`);
}

/** An ONNX entry's optional `preprocess`: a preset name or explicit mean/std in 0–255 units. */
function parsePreprocess(p: unknown, format: ModelFormat, bad: Bad): Normalize | undefined {
  if (p === undefined) return undefined;
  if (format !== 'onnx') return bad('preprocess', 'absent for TF.js models (use pixelRange)');
  const triple = (x: unknown, positive: boolean): x is [number, number, number] =>
    Array.isArray(x) && x.length === 3 && x.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0));
  if (isPreprocessName(p)) return PREPROCESS[p];
  if (isObject(p) && triple(p.mean, false) && triple(p.std, true)) return { mean: p.mean, std: p.std };
  return bad('preprocess', `one of ${PREPROCESS_NAMES.join(', ')} or {"mean": [r, g, b], "std": [r, g, b]} in 0–255 units`);
}

/** Entries of $LABELLINT_MODEL_REGISTRY, or none. */
export function registryFromEnv(): ModelSpec[] {
  const file = process.env.LABELLINT_MODEL_REGISTRY;
  return file ? loadModelRegistry(file) : [];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
