/**
 * Loads a `ResolvedModel` into TensorFlow.js straight from disk (`tf.io.fromMemory`), bypassing the
 * packages' own loaders (nsfwjs decodes base64 character by character: 8–40 s; this takes < 0.2 s).
 * Runs wherever the network runs: a worker thread or the main thread.
 */
import * as fs from 'fs';
import type * as tfc from '@tensorflow/tfjs-core';
import type * as tfconv from '@tensorflow/tfjs-converter';
import { GraphPatch, ModelError, ModelJson, ResolvedModel, readModelJson } from './registry';

type Tf = typeof tfc;

/** Reads the model JSON and its shards into memory and applies the spec's graph patch. */
export function loadArtifacts(model: ResolvedModel): tfc.io.ModelArtifacts {
  const json = structuredClone(readModelJson(model.modelJsonPath, model.encoding)) as ModelJson;
  const shards = model.weightPaths.map((p) => readShard(p, model.encoding));
  const total = shards.reduce((s, b) => s + b.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const b of shards) {
    weightData.set(b, offset);
    offset += b.byteLength;
  }
  if (model.spec.format === 'graph') patchGraph(json, model.spec.graphPatch);
  return {
    modelTopology: json.modelTopology as tfc.io.ModelArtifacts['modelTopology'],
    weightSpecs: (json.weightsManifest ?? []).flatMap((g) => g.weights) as tfc.io.WeightsManifestEntry[],
    weightData: weightData.buffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    signature: json.signature as tfc.io.ModelArtifacts['signature'],
    userDefinedMetadata: json.userDefinedMetadata as tfc.io.ModelArtifacts['userDefinedMetadata'],
  };
}

function readShard(file: string, encoding: ResolvedModel['encoding']): Uint8Array {
  if (encoding === 'json') return fs.readFileSync(file);
  const b64 = require(file) as unknown;
  delete require.cache[require.resolve(file)]; // do not keep megabytes of base64 alive
  if (typeof b64 !== 'string') throw new ModelError(`${file} does not export a base64 string.`);
  return Buffer.from(b64, 'base64');
}

/** The batch dimension is always relaxed; H×W too when asked (runs a fixed-512 graph at 224). */
function patchGraph(json: ModelJson, patch: GraphPatch | undefined): void {
  const topo = json.modelTopology as { node?: { op: string; attr?: { shape?: { shape?: { dim?: { size: string }[] } } } }[] };
  for (const node of topo.node ?? []) {
    if (node.op !== 'Placeholder') continue;
    const dims = node.attr?.shape?.shape?.dim;
    if (!dims || dims.length !== 4) continue;
    const channels = dims[3].size;
    node.attr!.shape!.shape!.dim = patch?.relaxInputShape
      ? [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: channels }]
      : [{ size: '-1' }, dims[1], dims[2], dims[3]];
  }
  if (patch?.dropSignature) delete json.signature;
}

/** A network that maps a float NHWC batch to the feature nodes' outputs (in `featureNodes` order). */
export interface FeatureNet {
  run(x: tfc.Tensor4D): tfc.Tensor[];
  dispose(): void;
}

/** Must be called after a backend is set. Layers models need @tensorflow/tfjs-layers (guarded require). */
export async function loadFeatureNet(tf: Tf, model: ResolvedModel): Promise<FeatureNet> {
  if (model.members) return ensembleNet(tf, model.members);
  const artifacts = loadArtifacts(model);
  const nodes = [...model.spec.featureNodes];
  if (model.spec.format === 'graph') {
    const conv = require('@tensorflow/tfjs-converter') as typeof tfconv;
    const net = await conv.loadGraphModel(tf.io.fromMemory(artifacts));
    const inputNode = model.spec.inputNode;
    return {
      run: (x) => {
        const feed = inputNode ? { [inputNode]: x } : x;
        const out = nodes.length > 0 ? net.execute(feed, nodes) : net.execute(feed);
        return Array.isArray(out) ? out : [out];
      },
      dispose: () => net.dispose(),
    };
  }
  let tfl: LayersApi;
  try {
    tfl = require('@tensorflow/tfjs-layers') as LayersApi;
  } catch {
    throw new ModelError('Layers models need the @tensorflow/tfjs-layers package, which is not installed.');
  }
  const full = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  const net = nodes.length > 0 ? tfl.model({ inputs: full.inputs, outputs: nodes.map((n) => full.getLayer(n).output) }) : full;
  return {
    run: (x) => {
      const out = net.predict(x);
      return Array.isArray(out) ? out : [out];
    },
    dispose: () => full.dispose(),
  };
}

/** Every member run on the same batch, their outputs in member order (a loaded member is disposed on failure). */
async function ensembleNet(tf: Tf, members: readonly ResolvedModel[]): Promise<FeatureNet> {
  const nets: FeatureNet[] = [];
  try {
    for (const m of members) nets.push(await loadFeatureNet(tf, m));
  } catch (e) {
    for (const n of nets) n.dispose();
    throw e;
  }
  return {
    run: (x) => nets.flatMap((n) => n.run(x)),
    dispose: () => nets.forEach((n) => n.dispose()),
  };
}

/** The slice of @tensorflow/tfjs-layers we use (it is not a direct dependency, so no type import). */
interface LayersModelLike {
  inputs: unknown;
  getLayer(name: string): { output: unknown };
  predict(x: tfc.Tensor): tfc.Tensor | tfc.Tensor[];
  dispose(): unknown;
}
interface LayersApi {
  loadLayersModel(handler: tfc.io.IOHandler): Promise<LayersModelLike>;
  model(args: { inputs: unknown; outputs: unknown }): LayersModelLike;
}
