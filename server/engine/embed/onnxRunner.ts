/**
 * ONNX Runtime (CPU) embedding backend. onnxruntime-node is NOT a dependency of LabelLint: it is used only
 * when it can be required (a user enables it with `npm i onnxruntime-node` in the project, or points
 * LABELLINT_ONNXRUNTIME at a folder that has it installed). The TF.js graph model is converted to ONNX on
 * first use (locally, `./onnxConvert.ts`) and cached as `<cache>/onnx/<hash>.onnx`, where <cache> is
 * LABELLINT_CACHE_DIR, else $XDG_CACHE_HOME/labellint, else ~/.cache/labellint.
 *
 * Same feature vector as the TF.js runner (`./runner.ts`): each block mean-pooled over H×W (inside the
 * ONNX graph), L2-normalised, blocks concatenated, L2-normalised again. No flip TTA.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ResolvedModel } from './models/registry';
import { WorkerPool } from './pool';
import { CONVERTER_VERSION, convertResolvedModel, ONNX_INPUT_NAME, pooledOutputName } from './onnxConvert';
import { scalePixels } from './runner';

/** Added to squared norms before the square root so an all-zero block maps to zeros, not NaN (as runner.ts). */
const L2_EPSILON = 1e-12;

// --- The slice of the onnxruntime-node API used here (not a dependency, so no type import). ---------------
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
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

/** The cached ONNX file for a model, converting it first when absent (atomic rename: safe across processes). */
export function ensureOnnxModel(model: ResolvedModel, cacheDir: string = defaultCacheDir()): string {
  const hash = crypto.createHash('sha256').update(`${model.key}|conv=${CONVERTER_VERSION}`).digest('hex').slice(0, 20);
  const dir = path.join(cacheDir, 'onnx');
  const file = path.join(dir, `${hash}.onnx`);
  if (fs.existsSync(file)) return file;
  const bytes = convertResolvedModel(model);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
  return file;
}

export interface OnnxRunnerOptions {
  readonly model: ResolvedModel;
  readonly ort: OrtApi;
  /** Intra-op threads of the session (default: available cores). */
  readonly threads?: number;
  /** ONNX file to load (default: converted into the cache on first use). */
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
    const x = new this.ort.Tensor('float32', scalePixels(pixels, this.model.spec.pixelRange), [n, size, size, 3]);
    const out = await this.session.run({ [ONNX_INPUT_NAME]: x });
    return Array.from({ length: this.blocks }, (_, i) => {
      const t = out[pooledOutputName(i)];
      if (!t || !(t.data instanceof Float32Array)) throw new Error(`ONNX output ${pooledOutputName(i)} is missing or not float32`);
      return t.data;
    });
  }

  async dispose(): Promise<void> {
    await this.session.release?.();
  }
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
  if (!ort) return { reason: detail };
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
