/**
 * ONNX Runtime (CPU) embedding backend. onnxruntime-node is an optional dependency of LabelLint: it is used only
 * when it can be required (npm installs it where a prebuilt binary exists; or LABELLINT_ONNXRUNTIME points at a
 * folder that has it installed); without it the backend reports why and 'auto' picks another. The TF.js graph model is converted to ONNX on
 * first use (locally, `./onnxConvert.ts`) and cached as `<cache>/onnx/<hash>.onnx`, where <cache> is
 * LABELLINT_CACHE_DIR, else $XDG_CACHE_HOME/labellint, else ~/.cache/labellint.
 *
 * Same feature vector as the TF.js runner (`./runner.ts`): each block mean-pooled over H×W (inside the
 * ONNX graph), L2-normalised, blocks concatenated, L2-normalised again.
 *
 * An ONNX model of the user's (or a downloaded ONNX Model Zoo entry: spec.format 'onnx') is loaded as it is,
 * or, when feature tensors must become graph outputs, as a cached copy with them added (`./onnxRead.ts`,
 * planned by `./models/onnxModel.ts`); its 4-D outputs are mean-pooled over H×W here, in JavaScript (`poolOutput`).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ResolvedModel } from './models/registry';
import type { Normalize, OnnxLayout, OnnxPlan } from './models/onnxModel';
import { addGraphOutputs } from './onnxRead';
import { WorkerPool } from './pool';
import { CONVERTER_VERSION, convertResolvedModel, ONNX_INPUT_NAME, pooledOutputName } from './onnxConvert';
import { scalePixels } from './runner';
import { writeFileSafe } from '../dataset/safeWrite';

/** Added to squared norms before the square root so an all-zero block maps to zeros, not NaN (as runner.ts). */
const L2_EPSILON = 1e-12;

// --- The slice of the onnxruntime-node API used here (optional and loaded by guarded require, so no type import). ---
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
  /** Element type name ('float32', 'uint8', …) on tensors ORT returns. */
  readonly type?: string;
}
export interface OrtSessionLike {
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release?(): Promise<void>;
}
export interface OrtSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode?: 'sequential' | 'parallel';
  executionProviders?: string[];
}
export interface OrtApi {
  readonly InferenceSession: { create(modelPathOrBytes: string | Uint8Array, options?: OrtSessionOptions): Promise<OrtSessionLike> };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;
  readonly env?: { versions?: { node?: string } };
}

export interface OrtLoad {
  readonly ort?: OrtApi;
  /** Where it came from, or why it could not be loaded. */
  readonly detail: string;
}

/**
 * Guarded require of onnxruntime-node: from `from` (a folder whose node_modules has it), else the
 * LABELLINT_ONNXRUNTIME folder, else normal resolution from this package.
 */
export function loadOnnxRuntime(from: string | undefined = process.env.LABELLINT_ONNXRUNTIME): OrtLoad {
  let id = 'onnxruntime-node';
  try {
    if (from) id = require.resolve('onnxruntime-node', { paths: [path.resolve(from)] });
    const ort = require(id) as OrtApi;
    if (typeof ort?.InferenceSession?.create !== 'function') return { detail: `${id} does not look like onnxruntime-node` };
    return { ort, detail: `onnxruntime-node ${ort.env?.versions?.node ?? '?'}` };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    const first = (err.message ?? String(e)).split('\n')[0];
    return {
      detail:
        err.code === 'MODULE_NOT_FOUND'
          ? 'onnxruntime-node is not installed (npm i onnxruntime-node in the project enables it)'
          : `onnxruntime-node failed to load: ${first}`,
    };
  }
}

/** LABELLINT_CACHE_DIR, else $XDG_CACHE_HOME/labellint, else ~/.cache/labellint. */
export function defaultCacheDir(): string {
  if (process.env.LABELLINT_CACHE_DIR) return path.resolve(process.env.LABELLINT_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME ? path.resolve(process.env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'labellint');
}

/**
 * The cached ONNX file for a model, converting it first when absent (atomic rename: safe across processes).
 * An ONNX model (spec.format 'onnx') needs no conversion: its own file is returned, or, when feature tensors
 * must be added as graph outputs, a copy with them added (the user's file is never written), patched once
 * here and loaded by path in every worker, as converted models are.
 */
export function ensureOnnxModel(model: ResolvedModel, cacheDir: string = defaultCacheDir()): string {
  const plan = model.onnx;
  if (plan && plan.addOutputs.length === 0) return model.modelJsonPath;
  const version = plan ? `outputs=${plan.addOutputs.join('\n')}` : `conv=${CONVERTER_VERSION}`;
  const hash = crypto.createHash('sha256').update(`${model.key}|${version}`).digest('hex').slice(0, 20);
  const dir = path.join(cacheDir, 'onnx');
  const file = path.join(dir, `${hash}.onnx`);
  if (fs.existsSync(file)) return file;
  const bytes = plan ? addGraphOutputs(fs.readFileSync(model.modelJsonPath), plan.addOutputs) : convertResolvedModel(model);
  writeFileSafe(file, bytes);
  return file;
}

export interface OnnxRunnerOptions {
  readonly model: ResolvedModel;
  readonly ort: OrtApi;
  /** Intra-op threads of the session (default: available cores). */
  readonly threads?: number;
  /** ONNX file to load (default: converted, or for an ONNX model patched, into the cache on first use). */
  readonly onnxPath?: string;
  readonly cacheDir?: string;
}

/** One ORT session: packed RGB uint8 batches in, L2-normalised feature vectors out. */
export class OnnxRunner {
  private constructor(
    private readonly session: OrtSessionLike,
    private readonly ort: OrtApi,
    private readonly model: ResolvedModel,
    private readonly blocks: number,
    /** Length of one feature vector (probed by running one blank image). */
    readonly dim: number,
    readonly onnxPath: string,
  ) {}

  static async create(opts: OnnxRunnerOptions): Promise<OnnxRunner> {
    const onnxPath = opts.onnxPath ?? ensureOnnxModel(opts.model, opts.cacheDir);
    const session = await opts.ort.InferenceSession.create(onnxPath, {
      intraOpNumThreads: opts.threads ?? os.availableParallelism(),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
    const blocks = opts.model.spec.featureNodes.length;
    const size = opts.model.spec.inputSize;
    const probe = new OnnxRunner(session, opts.ort, opts.model, blocks, 0, onnxPath);
    const dim = (await probe.embedPacked(new Uint8Array(size * size * 3), 1)).length;
    const expected = opts.model.spec.dim;
    if (expected > 0 && expected !== dim) {
      await session.release?.();
      throw new Error(`${opts.model.spec.id}: ONNX feature vector has ${dim} values, the registry says ${expected}.`);
    }
    return new OnnxRunner(session, opts.ort, opts.model, blocks, dim, onnxPath);
  }

  /**
   * `pixels`: n×S×S×3 RGB uint8, row-major. Returns n×dim floats, rows L2-normalised. With `flipTta` the
   * mirror images are embedded too and each pair of final vectors averaged and re-normalised (as runner.ts).
   */
  async embedPacked(pixels: Uint8Array, n: number, flipTta = false): Promise<Float32Array> {
    const f = combineBlocks(await this.pooledPacked(pixels, n), n);
    if (!flipTta) return f;
    const m = combineBlocks(await this.pooledPacked(mirrorPacked(pixels, n, this.model.spec.inputSize), n), n);
    for (let i = 0; i < f.length; i++) f[i] += m[i];
    return normaliseRows(f, n);
  }

  /** The raw mean-pooled blocks (block i: n×C_i), before any normalisation. */
  async pooledPacked(pixels: Uint8Array, n: number): Promise<Float32Array[]> {
    const size = this.model.spec.inputSize;
    if (pixels.length !== n * size * size * 3) throw new Error(`packed batch has ${pixels.length} bytes, expected ${n}×${size}×${size}×3`);
    if (this.model.onnx) return this.pooledUser(pixels, n, this.model.onnx);
    const x = new this.ort.Tensor('float32', scalePixels(pixels, this.model.spec.pixelRange), [n, size, size, 3]);
    const out = await this.session.run({ [ONNX_INPUT_NAME]: x });
    return Array.from({ length: this.blocks }, (_, i) => {
      const t = out[pooledOutputName(i)];
      if (!t || !(t.data instanceof Float32Array)) throw new Error(`ONNX output ${pooledOutputName(i)} is missing or not float32`);
      return t.data;
    });
  }

  /** An ONNX model's feature tensors, pooled to n×C each; a fixed batch dimension is filled call by call. */
  private async pooledUser(pixels: Uint8Array, n: number, plan: OnnxPlan): Promise<Float32Array[]> {
    const size = this.model.spec.inputSize;
    const image = size * size * 3;
    const step = plan.batch ?? n;
    const parts: Float32Array[][] = plan.outputs.map(() => []);
    for (let start = 0; start < n; start += step) {
      const k = Math.min(step, n - start);
      // A fixed batch larger than what is left is padded with black images whose rows are dropped.
      const rows = plan.batch ?? k;
      const chunk = new Uint8Array(rows * image);
      chunk.set(pixels.subarray(start * image, (start + k) * image));
      const dims = plan.layout === 'NCHW' ? [rows, 3, size, size] : [rows, size, size, 3];
      const x = new this.ort.Tensor('float32', normalizePixels(chunk, rows, size, plan.layout, plan.normalize), dims);
      const out = await this.session.run({ [plan.inputName]: x });
      plan.outputs.forEach((name, i) => {
        const t = out[name];
        if (!t) throw new Error(`ONNX output '${name}' is missing from the session's results`);
        const pooled = poolOutput(t, plan.layout, name);
        parts[i].push(pooled.subarray(0, (pooled.length / rows) * k));
      });
    }
    return parts.map(concatFloat32);
  }

  async dispose(): Promise<void> {
    await this.session.release?.();
  }
}

function concatFloat32(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * n×S×S×3 RGB uint8 → float32 network input: (pixel − mean[c]) / std[c], laid out as NHWC (as packed) or
 * NCHW (planes R, G, B per image).
 */
export function normalizePixels(pixels: Uint8Array, n: number, size: number, layout: OnnxLayout, norm: Normalize): Float32Array {
  const plane = size * size;
  if (pixels.length !== n * plane * 3) throw new Error(`normalizePixels: ${pixels.length} bytes is not ${n}×${size}×${size}×3`);
  const out = new Float32Array(pixels.length);
  const scale = norm.std.map((s) => 1 / s);
  for (let img = 0; img < n; img++) {
    const base = img * plane * 3;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        const v = (pixels[base + p * 3 + c] - norm.mean[c]) * scale[c];
        out[layout === 'NHWC' ? base + p * 3 + c : base + c * plane + p] = v;
      }
    }
  }
  return out;
}

/**
 * One feature tensor → n×C floats (row-major): rank 2 as it is; rank 3 [n, T, D] averaged over T (tokens);
 * rank 4 averaged over H×W. Which axis of a rank-4 tensor holds the channels: the odd one out when the other
 * two are equal (square feature maps, 1×1 after global pooling), else the model input's `layout`.
 */
export function poolOutput(t: OrtTensorLike, layout: OnnxLayout, name: string): Float32Array {
  if (!(t.data instanceof Float32Array)) {
    throw new Error(`ONNX output '${name}' is ${t.type ?? 'not float32'}; LabelLint pools float32 tensors (in a quantised model, pick the float tensor after a DequantizeLinear node)`);
  }
  const d = t.data;
  const dims = t.dims;
  if (dims.length === 2) return d;
  if (dims.length === 3) {
    const [n, tokens, width] = dims;
    const out = new Float32Array(n * width);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < tokens; j++) {
        const row = (i * tokens + j) * width;
        for (let c = 0; c < width; c++) out[i * width + c] += d[row + c];
      }
    }
    for (let k = 0; k < out.length; k++) out[k] /= tokens;
    return out;
  }
  if (dims.length !== 4) throw new Error(`ONNX output '${name}' has shape [${dims.join(', ')}]; expected rank 2, 3 or 4`);
  const [n, a, b, c] = dims;
  const channelsFirst = b === c && a !== b ? true : a === b && c !== a ? false : layout === 'NCHW';
  const channels = channelsFirst ? a : c;
  const spatial = channelsFirst ? b * c : a * b;
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const base = i * channels * spatial;
    for (let ch = 0; ch < channels; ch++) {
      let sum = 0;
      if (channelsFirst) {
        const off = base + ch * spatial;
        for (let s = 0; s < spatial; s++) sum += d[off + s];
      } else {
        for (let s = 0; s < spatial; s++) sum += d[base + s * channels + ch];
      }
      out[i * channels + ch] = sum / spatial;
    }
  }
  return out;
}

/** n×S×S×3 → the same images mirrored left–right. */
export function mirrorPacked(pixels: Uint8Array, n: number, size: number): Uint8Array {
  const out = new Uint8Array(pixels.length);
  const row = size * 3;
  for (let r = 0; r < n * size; r++) {
    const base = r * row;
    for (let x = 0; x < size; x++) {
      const src = base + x * 3;
      const dst = base + (size - 1 - x) * 3;
      out[dst] = pixels[src];
      out[dst + 1] = pixels[src + 1];
      out[dst + 2] = pixels[src + 2];
    }
  }
  return out;
}

/** Each of the n rows of `m` scaled to unit L2 norm, in place. */
function normaliseRows(m: Float32Array, n: number): Float32Array {
  const dim = m.length / n;
  for (let r = 0; r < n; r++) {
    const row = m.subarray(r * dim, (r + 1) * dim);
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += row[j] * row[j];
    const inv = 1 / Math.sqrt(ss + L2_EPSILON);
    for (let j = 0; j < dim; j++) row[j] *= inv;
  }
  return m;
}

/**
 * Blocks (block i: n×C_i, row-major) → n×ΣC_i: each row of each block L2-normalised, concatenated, the
 * whole row L2-normalised again (the TF.js runner's order of operations).
 */
export function combineBlocks(blocks: readonly Float32Array[], n: number): Float32Array {
  const widths = blocks.map((b) => {
    if (b.length % n !== 0) throw new Error(`block of ${b.length} values is not a multiple of ${n} rows`);
    return b.length / n;
  });
  const dim = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let offset = r * dim;
    for (let k = 0; k < blocks.length; k++) {
      const w = widths[k];
      const row = blocks[k].subarray(r * w, (r + 1) * w);
      let ss = 0;
      for (let j = 0; j < w; j++) ss += row[j] * row[j];
      const inv = 1 / Math.sqrt(ss + L2_EPSILON);
      for (let j = 0; j < w; j++) out[offset + j] = row[j] * inv;
      offset += w;
    }
  }
  return normaliseRows(out, n);
}

export interface OnnxPoolOptions {
  /** Worker threads, one single-threaded session each (one per core is fastest on 2 cores: bench/onnx/README.md). */
  readonly workers: number;
  readonly flipTta: boolean;
}

/**
 * A worker pool running ONNX Runtime, or the reason it cannot run (not installed, a model the converter
 * does not handle, a session that fails to start). Converts the model into the cache first (main thread).
 */
export async function tryOnnxPool(model: ResolvedModel, opts: OnnxPoolOptions): Promise<{ pool?: WorkerPool; reason: string }> {
  const { ort, detail } = loadOnnxRuntime();
  // An ONNX model has no other backend: say what it needs.
  if (!ort) return { reason: model.onnx ? `${model.modelJsonPath} is an ONNX model and needs ONNX Runtime: ${detail}` : detail };
  try {
    ensureOnnxModel(model);
    const pool = await WorkerPool.start({
      model,
      backend: 'cpu', // ignored by onnxWorker.js
      workers: opts.workers,
      flipTta: opts.flipTta,
      workerFile: path.join(__dirname, 'onnxWorker.js'),
    });
    return { pool, reason: '' };
  } catch (e) {
    return { reason: `onnx: ${(e as Error).message.split('\n')[0]}` };
  }
}
