/**
 * One loaded network on one tfjs backend: turns a packed batch of RGB uint8 images into feature vectors.
 * Used by each worker thread (wasm/cpu) and in-process for native/GPU backends.
 *
 * Feature vector: every feature node's output mean-pooled over H×W, L2-normalised per block, blocks
 * concatenated, L2-normalised again. With flip TTA the image and its mirror are embedded and the two final
 * vectors averaged and re-normalised.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { FeatureNet, loadFeatureNet } from './models/artifacts';
import type { PixelRange, ResolvedModel } from './models/registry';

type Tf = typeof tfc;

/** Added to squared norms before the square root so an all-zero block maps to zeros, not NaN. */
const L2_EPSILON = 1e-12;

export interface RunnerOptions {
  readonly model: ResolvedModel;
  readonly flipTta: boolean;
}

export class FeatureRunner {
  private constructor(
    private readonly tf: Tf,
    private readonly net: FeatureNet,
    private readonly opts: RunnerOptions,
    /** Length of one feature vector (probed by running one blank image). */
    readonly dim: number,
  ) {}

  /** The backend must already be set on `tf`. */
  static async create(tf: Tf, opts: RunnerOptions): Promise<FeatureRunner> {
    const net = await loadFeatureNet(tf, opts.model);
    const size = opts.model.spec.inputSize;
    let dim: number;
    try {
      const probe = tf.tidy(() => pooledFeatures(tf, net, tf.zeros([1, size, size, 3]) as tfc.Tensor4D));
      dim = probe.shape[1];
      probe.dispose();
    } catch (e) {
      net.dispose();
      throw new Error(`The model does not run on a ${size}×${size}×3 input: ${(e as Error).message}`);
    }
    const expected = opts.model.spec.dim;
    if (expected > 0 && expected !== dim) {
      net.dispose();
      throw new Error(`${opts.model.spec.id}: feature vector has ${dim} values, the registry says ${expected}.`);
    }
    return new FeatureRunner(tf, net, opts, dim);
  }

  /** `pixels`: n×S×S×3 RGB uint8, row-major. Returns n×dim floats, rows L2-normalised. */
  async embedPacked(pixels: Uint8Array, n: number): Promise<Float32Array> {
    const { tf, net, opts } = this;
    const size = opts.model.spec.inputSize;
    if (pixels.length !== n * size * size * 3) {
      throw new Error(`packed batch has ${pixels.length} bytes, expected ${n}×${size}×${size}×3`);
    }
    const out = tf.tidy(() => {
      const x = tf.tensor4d(scalePixels(pixels, opts.model.spec.pixelRange), [n, size, size, 3], 'float32');
      const f = pooledFeatures(tf, net, x);
      if (!opts.flipTta) return f;
      const mirrored = pooledFeatures(tf, net, tf.reverse(x, 2) as tfc.Tensor4D);
      return l2Normalise(tf, tf.add(f, mirrored) as tfc.Tensor2D);
    });
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  dispose(): void {
    this.net.dispose();
  }
}

/** N×D: the concatenated, normalised blocks. Call inside `tf.tidy`. */
function pooledFeatures(tf: Tf, net: FeatureNet, x: tfc.Tensor4D): tfc.Tensor2D {
  const blocks = net.run(x).map((t) => {
    let pooled: tfc.Tensor2D;
    if (t.rank === 4) pooled = tf.mean(t, [1, 2]) as tfc.Tensor2D;
    else if (t.rank === 3) pooled = tf.mean(t, 1) as tfc.Tensor2D;
    else if (t.rank === 2) pooled = t as tfc.Tensor2D;
    else throw new Error(`feature node output has rank ${t.rank}; expected 2, 3 or 4 (N×H×W×C)`);
    return l2Normalise(tf, tf.cast(pooled, 'float32'));
  });
  return l2Normalise(tf, blocks.length === 1 ? blocks[0] : (tf.concat(blocks, 1) as tfc.Tensor2D));
}

function l2Normalise(tf: Tf, t: tfc.Tensor2D): tfc.Tensor2D {
  return tf.div(t, tf.sqrt(tf.add(tf.sum(tf.square(t), 1, true), L2_EPSILON)));
}

/** uint8 → float32 in the network's expected range. */
export function scalePixels(pixels: Uint8Array, range: PixelRange): Float32Array {
  const out = new Float32Array(pixels.length);
  switch (range) {
    case '0-255':
      out.set(pixels);
      break;
    case '0-1':
      for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
      break;
    case '-1-1':
      for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 127.5 - 1;
      break;
  }
  return out;
}
