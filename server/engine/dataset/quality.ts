/**
 * Image-quality statistics of one image: `computeQualityStats` summarises one small RGB thumbnail
 * (brightness, contrast, blur, entropy, colourfulness, size, and its perceptual hashes from `phash.ts`).
 * The dataset-relative flags built on these numbers live in `issues/quality.ts`.
 */
import { perceptualHashOfLuma } from './phash';


/** Statistics of one image, computed on its quality thumbnail (RGB, row-major). */
export interface QualityStats {
  /** Mean luma in [0,1] (Rec. 709 weights on the sRGB-encoded values). */
  readonly brightness: number;
  /** Share of pixels with luma below `DARK_PIXEL_LUMA`, in [0,1]. */
  readonly darkFraction: number;
  /** Share of pixels with luma above `BRIGHT_PIXEL_LUMA`, in [0,1]. */
  readonly brightFraction: number;
  /** Standard deviation of luma, in [0,0.5]. */
  readonly contrast: number;
  /** Variance of the 4-neighbour Laplacian of luma in 8-bit units² (OpenCV convention); lower = blurrier. */
  readonly blur: number;
  /** Shannon entropy of the 256-bin luma histogram, in bits [0,8]; lower = less information. */
  readonly entropy: number;
  /** Hasler–Süsstrunk colourfulness in 8-bit units; 0 = grey, above ~100 = very colourful. */
  readonly colourfulness: number;
  /** True when every pixel has R≈G≈B (within `GREY_CHANNEL_TOLERANCE`). */
  readonly isGrayscale: boolean;
  /** Original size in pixels, after EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** width / height of the original. */
  readonly aspect: number;
  /**
   * 256-bit DCT perceptual hash of the thumbnail, 64 lowercase hex digits (see `perceptualHash`); near-identical
   * pictures differ in few bits. Absent in statistics cached by versions before it existed: treat as unknown.
   */
  readonly phash?: string;
  /** The same hash of the horizontally mirrored thumbnail, so mirrored copies can be matched too. */
  readonly phashFlip?: string;
}

/** Luma below this counts as a dark pixel: ~25/255, where shadow detail is lost on a normal display. */
export const DARK_PIXEL_LUMA = 0.1;
/** Luma above this counts as a bright pixel: ~230/255, where highlight detail is lost. */
export const BRIGHT_PIXEL_LUMA = 0.9;
/** Largest channel difference (8-bit levels) still counted as grey: JPEG chroma and ICC conversion round by a level or two. */
export const GREY_CHANNEL_TOLERANCE = 3;

/**
 * Summarise one image. `rgb` is w×h×3 RGB, row-major, 8-bit; `original` is the image's size before
 * resizing (after EXIF orientation), used for the size/aspect statistics.
 */
export function computeQualityStats(
  rgb: Uint8Array,
  w: number,
  h: number,
  original: { readonly width: number; readonly height: number },
): QualityStats {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) {
    throw new RangeError(`computeQualityStats: w and h must be positive integers, got ${w}×${h}`);
  }
  if (rgb.length !== w * h * 3) {
    throw new RangeError(`computeQualityStats: rgb has ${rgb.length} values, expected w×h×3 = ${w * h * 3}`);
  }
  if (!(original.width > 0) || !(original.height > 0)) {
    throw new RangeError(`computeQualityStats: original size must be positive, got ${original.width}×${original.height}`);
  }
  return computeStats(rgb, w, h, original.width, original.height);
}

function computeStats(rgb: Uint8Array, w: number, h: number, width: number, height: number): QualityStats {
  const n = w * h;
  const luma = new Float32Array(n); // 0..255
  const histogram = new Uint32Array(256);
  let sum = 0;
  let sumSq = 0;
  let dark = 0;
  let bright = 0;
  let grey = true;
  // Colourfulness accumulators: rg = R−G, yb = (R+G)/2 − B.
  let sumRg = 0;
  let sumRgSq = 0;
  let sumYb = 0;
  let sumYbSq = 0;
  const darkLevel = DARK_PIXEL_LUMA * 255;
  const brightLevel = BRIGHT_PIXEL_LUMA * 255;
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    const r = rgb[o];
    const g = rgb[o + 1];
    const b = rgb[o + 2];
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    luma[i] = y;
    histogram[Math.min(255, Math.round(y))]++;
    sum += y;
    sumSq += y * y;
    if (y < darkLevel) dark++;
    if (y > brightLevel) bright++;
    if (grey && (Math.abs(r - g) > GREY_CHANNEL_TOLERANCE || Math.abs(g - b) > GREY_CHANNEL_TOLERANCE || Math.abs(r - b) > GREY_CHANNEL_TOLERANCE)) {
      grey = false;
    }
    const rg = r - g;
    const yb = 0.5 * (r + g) - b;
    sumRg += rg;
    sumRgSq += rg * rg;
    sumYb += yb;
    sumYbSq += yb * yb;
  }
  const mean = sum / n;
  const variance = Math.max(0, sumSq / n - mean * mean);

  let entropy = 0;
  for (let k = 0; k < 256; k++) {
    if (histogram[k] === 0) continue;
    const p = histogram[k] / n;
    entropy -= p * Math.log2(p);
  }

  const meanRg = sumRg / n;
  const meanYb = sumYb / n;
  const varRg = Math.max(0, sumRgSq / n - meanRg * meanRg);
  const varYb = Math.max(0, sumYbSq / n - meanYb * meanYb);
  const colourfulness = Math.sqrt(varRg + varYb) + 0.3 * Math.sqrt(meanRg * meanRg + meanYb * meanYb);

  return {
    brightness: mean / 255,
    darkFraction: dark / n,
    brightFraction: bright / n,
    contrast: Math.sqrt(variance) / 255,
    blur: laplacianVariance(luma, w, h),
    // Guard against −0 from the subtraction loop on a one-level histogram.
    entropy: entropy <= 0 ? 0 : entropy,
    colourfulness,
    isGrayscale: grey,
    width,
    height,
    aspect: width / height,
    ...perceptualHashOfLuma(luma, w, h),
  };
}

/** Variance of the 4-neighbour Laplacian over interior pixels; 0 when the image has no interior (w or h < 3). */
function laplacianVariance(luma: Float32Array, w: number, h: number): number {
  if (w < 3 || h < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = luma[i - 1] + luma[i + 1] + luma[i - w] + luma[i + w] - 4 * luma[i];
      sum += lap;
      sumSq += lap * lap;
      count++;
    }
  }
  const mean = sum / count;
  return Math.max(0, sumSq / count - mean * mean);
}
