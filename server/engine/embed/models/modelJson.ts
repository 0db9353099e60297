/**
 * Reading a TensorFlow.js model.json: its format (graph or layers), node names, declared input size and weight
 * files, with errors (`ModelError`) a person can act on. No TensorFlow.js here, only file reads.
 */
import * as fs from 'fs';
import * as path from 'path';

/** 'graph'/'layers': TensorFlow.js model.json; 'onnx': an ONNX file run by ONNX Runtime (./onnxModel.ts). */
export type ModelFormat = 'graph' | 'layers' | 'onnx';

/** How the model's files are stored on disk. */
export type ModelEncoding =
  /** model.json + binary shards (tfjs converter output). */
  | 'json'
  /** One .onnx file (no shards). */
  | 'onnx'
  /** nsfwjs bundles: `model.min.js` exporting the JSON object, shards exporting base64 strings. */
  | 'js-module';

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

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

export function listNodeNames(json: ModelJson, format: ModelFormat): string[] {
  if (format === 'graph') return graphNodes(json).map((n) => n.name);
  return kerasLayers(json).map((l) => l.name ?? l.config?.name ?? '').filter((n) => n !== '');
}

export function declaredInputSize(json: ModelJson, format: ModelFormat): number | undefined {
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

export function unknownNodeMessage(node: string, available: readonly string[], file: string, format: ModelFormat): string {
  const kind = format === 'graph' ? 'node' : 'layer';
  const leaf = node.split('/').pop() ?? node;
  const similar = available.filter((n) => n.includes(leaf) || node.includes(n.split('/').pop() ?? n)).slice(0, 8);
  const hint = similar.length > 0 ? `Similar names: ${similar.join(', ')}` : `Some names: ${available.slice(-8).join(', ')}`;
  return `Unknown ${kind} '${node}' in ${file} (${available.length} ${kind}s). ${hint}`;
}

export function weightFiles(json: ModelJson, modelJsonPath: string, encoding: ModelEncoding): string[] {
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
