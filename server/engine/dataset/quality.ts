/**
 * Image-quality statistics and dataset-relative quality flags.
 *
 * Pure functions over typed arrays: `computeQualityStats` summarises one small RGB thumbnail,
 * `qualityFlags` compares every image against the rest of its dataset (robust z-scores with the
 * median absolute deviation), so a dataset that is dark, greyscale or blurry by nature (MNIST,
 * Fashion-MNIST, night-sky photos) is not flagged wholesale.
 */
import type { QualityFlag } from '../../../protocol/results';

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

// ---------------------------------------------------------------------------------------------
// Perceptual hash
// ---------------------------------------------------------------------------------------------

/** Side of the greyscale image the DCT runs on (the classic pHash choice). */
export const PHASH_DCT_SIZE = 32;
/**
 * Side of the low-frequency block kept: 16×16 = 256 bits. The classic 8×8 (64-bit) block is too coarse
 * for small, similar images (bench/duplicates.ts, Fashion-MNIST): distinct kNN neighbours were as close
 * as 2 of 64 bits (1st pct 6, 5th pct 10) while JPEG q70 copies reached 6 and resized copies 14, so no
 * threshold separated them (at ≤ 8: 76 false groups on the 1,000-image sample, more than cosine ≥ 0.97).
 * With 16×16, distinct neighbours are ≥ 30 of 256 bits (1st pct 56), JPEG q70 copies ≤ 36 (95th pct 24).
 */
export const PHASH_BLOCK = 16;
/** Hex digits of one hash. */
export const PHASH_HEX_LENGTH = (PHASH_BLOCK * PHASH_BLOCK) / 4;

/** Perceptual hashes of one image and of its mirror image, `PHASH_HEX_LENGTH` (64) hex digits each. */
export interface PerceptualHashes {
  readonly phash: string;
  readonly phashFlip: string;
}

/**
 * DCT perceptual hash (pHash) of a w×h×3 RGB image and of its horizontal mirror image:
 * luma → area-average to 32×32 → 2-D DCT-II → top-left 16×16 coefficients (lowest frequencies) →
 * bit = coefficient > median of the 255 AC coefficients (the DC term only measures brightness; its bit,
 * the most significant one, is 1 unless the image is black). Bits in row-major order, MSB first.
 *
 * Mirroring x ↦ 31−x multiplies coefficient (v, u) by (−1)^u (u = horizontal frequency), so the mirror
 * hash comes from the same coefficients with odd-u signs flipped: no second transform, and exact up to
 * how the resize rounds. Compare hashes with `hammingDistance`.
 */
export function perceptualHash(rgb: Uint8Array, w: number, h: number): PerceptualHashes {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) {
    throw new RangeError(`perceptualHash: w and h must be positive integers, got ${w}×${h}`);
  }
  if (rgb.length !== w * h * 3) throw new RangeError(`perceptualHash: rgb has ${rgb.length} values, expected w×h×3 = ${w * h * 3}`);
  const luma = new Float32Array(w * h);
  for (let i = 0, o = 0; i < luma.length; i++, o += 3) luma[i] = 0.2126 * rgb[o] + 0.7152 * rgb[o + 1] + 0.0722 * rgb[o + 2];
  return perceptualHashOfLuma(luma, w, h);
}

/** Number of differing bits between two equal-length hex hashes (0–256 for pHashes). */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) throw new RangeError(`hammingDistance: hashes differ in length (${a.length} vs ${b.length})`);
  if (!HEX.test(a) || !HEX.test(b)) throw new RangeError(`hammingDistance: not hex: '${a}' / '${b}'`);
  let d = 0;
  for (let i = 0; i < a.length; i += 8) d += popcount32(parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16));
  return d;
}

const HEX = /^[0-9a-f]*$/i;

/** Set bits of a 32-bit integer (SWAR). */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** cos(π(2x+1)u / 2N) for u < PHASH_BLOCK, x < N: the DCT-II basis rows we need (unnormalised; scale does not change the bits). */
const DCT_BASIS: Float64Array = (() => {
  const n = PHASH_DCT_SIZE;
  const t = new Float64Array(PHASH_BLOCK * n);
  for (let u = 0; u < PHASH_BLOCK; u++) for (let x = 0; x < n; x++) t[u * n + x] = Math.cos((Math.PI * (2 * x + 1) * u) / (2 * n));
  return t;
})();

function perceptualHashOfLuma(luma: Float32Array, w: number, h: number): PerceptualHashes {
  const n = PHASH_DCT_SIZE;
  const small = areaResizeGrey(luma, w, h, n, n);
  // Rows first: rowDct[y][u] = Σx small[y][x]·cos(u, x); then columns: c[v][u] = Σy rowDct[y][u]·cos(v, y).
  const rowDct = new Float64Array(n * PHASH_BLOCK);
  for (let y = 0; y < n; y++) {
    for (let u = 0; u < PHASH_BLOCK; u++) {
      let s = 0;
      for (let x = 0; x < n; x++) s += small[y * n + x] * DCT_BASIS[u * n + x];
      rowDct[y * PHASH_BLOCK + u] = s;
    }
  }
  const coeffs = new Float64Array(PHASH_BLOCK * PHASH_BLOCK);
  for (let v = 0; v < PHASH_BLOCK; v++) {
    for (let u = 0; u < PHASH_BLOCK; u++) {
      let s = 0;
      for (let y = 0; y < n; y++) s += rowDct[y * PHASH_BLOCK + u] * DCT_BASIS[v * n + y];
      coeffs[v * PHASH_BLOCK + u] = s;
    }
  }
  const mirrored = coeffs.map((c, i) => ((i % PHASH_BLOCK) % 2 === 1 ? -c : c));
  return { phash: hashBits(coeffs), phashFlip: hashBits(mirrored) };
}

/** Relative tolerance below which an AC coefficient counts as equal to the median (float noise in flat images). */
const PHASH_MEDIAN_EPSILON = 1e-9;

function hashBits(coeffs: Float64Array): string {
  const ac = Float64Array.from(coeffs.subarray(1)).sort();
  const med = ac[ac.length >> 1]; // an odd count (255): the middle one
  let scale = 0;
  for (const c of coeffs) scale = Math.max(scale, Math.abs(c));
  const cut = med + PHASH_MEDIAN_EPSILON * scale;
  let hex = '';
  for (let nibble = 0; nibble < coeffs.length / 4; nibble++) {
    let v = 0;
    for (let b = 0; b < 4; b++) v = (v << 1) | (coeffs[nibble * 4 + b] > cut ? 1 : 0);
    hex += v.toString(16);
  }
  return hex;
}

/** Area-average resize of a single-channel w×h image to dw×dh (nearest-neighbour when enlarging). */
function areaResizeGrey(src: Float32Array, w: number, h: number, dw: number, dh: number): Float64Array {
  const tx = areaTaps(w, dw);
  const ty = areaTaps(h, dh);
  const tmp = new Float64Array(h * dw);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < dw; x++) {
      let s = 0;
      for (const [i, wt] of tx[x]) s += wt * src[y * w + i];
      tmp[y * dw + x] = s;
    }
  }
  const out = new Float64Array(dh * dw);
  for (let y = 0; y < dh; y++) {
    for (const [i, wt] of ty[y]) for (let x = 0; x < dw; x++) out[y * dw + x] += wt * tmp[i * dw + x];
  }
  return out;
}

/** For each destination index, the source indices it covers and their weights (summing to 1). */
export function areaTaps(srcLen: number, dstLen: number): [number, number][][] {
  const scale = srcLen / dstLen;
  const taps: [number, number][][] = [];
  for (let d = 0; d < dstLen; d++) {
    const lo = d * scale;
    const hi = lo + scale;
    const list: [number, number][] = [];
    for (let s = Math.floor(lo); s < Math.min(srcLen, Math.ceil(hi)); s++) {
      const wt = (Math.min(hi, s + 1) - Math.max(lo, s)) / scale;
      if (wt > 0) list.push([s, wt]);
    }
    taps.push(list);
  }
  return taps;
}

// ---------------------------------------------------------------------------------------------
// Dataset-relative flags
// ---------------------------------------------------------------------------------------------

/** Thresholds for `qualityFlags`. Every field has a default in `DEFAULT_QUALITY_THRESHOLDS`. */
export interface QualityThresholds {
  /** Fewer images than this and dataset statistics are unreliable: only the absolute "very" rules apply. */
  readonly minImagesForRelative: number;
  /** Robust z-score (|x − median| / (1.4826·MAD)) beyond which a value is far from the dataset. */
  readonly zScore: number;
  /** 'dark' needs brightness below this as well as far below the median: dim, not just dimmer. */
  readonly darkMaxBrightness: number;
  /** 'dark' regardless of the dataset: essentially black. */
  readonly veryDarkBrightness: number;
  /** 'overexposed' needs brightness above this as well as far above the median. */
  readonly overexposedMinBrightness: number;
  /** 'overexposed' regardless of the dataset: essentially white. */
  readonly veryBrightBrightness: number;
  /** 'blurry' needs blur below this share of the dataset's median blur as well as a low z-score. */
  readonly blurryMaxRatio: number;
  /** 'low-information' needs entropy (bits) below this as well as far below the median. */
  readonly lowInfoMaxEntropy: number;
  /** 'low-information' regardless of the dataset: one or two grey levels fill the image. */
  readonly nearConstantEntropy: number;
  /** 'odd-size' needs the pixel count to differ from the median by at least this factor. */
  readonly oddSizeMinRatio: number;
  /** 'odd-aspect' needs the aspect ratio to differ from the median by at least this factor. */
  readonly oddAspectMinRatio: number;
  /** 'grayscale' only when at least this share of the dataset is colour (greyscale is then unexpected). */
  readonly grayscaleMinColourShare: number;
}

export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = Object.freeze({
  // Below ~8 images a median and MAD say little about "typical".
  minImagesForRelative: 8,
  // 3 robust SDs: ~0.3% of a normal population, the usual outlier cut.
  zScore: 3,
  // A quarter of full brightness is visibly dim on any display.
  darkMaxBrightness: 0.25,
  // ~10/255 mean luma: nothing is visible.
  veryDarkBrightness: 0.04,
  // Mean luma above 0.8 means most of the frame is near white.
  overexposedMinBrightness: 0.8,
  // ~245/255 mean luma: blown out.
  veryBrightBrightness: 0.96,
  // Half the typical Laplacian energy: edges are visibly softer, not just a smoother subject.
  blurryMaxRatio: 0.5,
  // 2 bits ≈ four equally used grey levels: a sketch, not a photo.
  lowInfoMaxEntropy: 2,
  // 0.5 bits: one grey level covers ~90% of the image (blank, solid colour).
  nearConstantEntropy: 0.5,
  // 4× the pixels (2× each side) — resizing within that range is routine.
  oddSizeMinRatio: 4,
  // 1.5× — e.g. a 3:4 portrait in a 4:3 landscape set, or a strip in a square set.
  oddAspectMinRatio: 1.5,
  // "Most images are colour" taken strictly: flagging more than a fifth of a dataset is not a useful lint.
  grayscaleMinColourShare: 0.8,
});

/** Scale factor that makes the MAD a consistent estimate of the standard deviation under normality. */
const MAD_TO_SD = 1.4826;
/** Smallest spread per statistic, so a dataset of identical values does not turn tiny differences into outliers. */
const MIN_SPREAD = Object.freeze({
  brightness: 0.02, // 5/255 of mean luma
  logBlur: 0.25, // ×1.28 in Laplacian variance
  entropy: 0.1, // bits
  logArea: 0, // size uses the explicit ratio floor `oddSizeMinRatio` instead
  logAspect: 0, // likewise `oddAspectMinRatio`
});
/** Added before taking log(blur) so a perfectly flat image (blur 0) stays finite. */
const BLUR_LOG_EPSILON = 1e-3;

/**
 * Dataset-relative quality flags: N stats in, N flag lists out (same order).
 * An image is flagged only when it is unusual for *this* dataset and, for dark/overexposed/low-information,
 * also bad in absolute terms; a dataset that is uniformly greyscale or dark is not flagged wholesale.
 */
export function qualityFlags(stats: readonly QualityStats[], opts?: Partial<QualityThresholds>): QualityFlag[][] {
  const t = resolveThresholds(opts);
  return computeFlags(stats, t);
}

function resolveThresholds(opts: Partial<QualityThresholds> | undefined): QualityThresholds {
  if (opts === undefined) return DEFAULT_QUALITY_THRESHOLDS;
  const valid = Object.keys(DEFAULT_QUALITY_THRESHOLDS);
  for (const [key, value] of Object.entries(opts)) {
    if (!valid.includes(key)) {
      throw new RangeError(`qualityFlags: unknown option '${key}'; valid options: ${valid.join(', ')}`);
    }
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new RangeError(`qualityFlags: option '${key}' must be a finite number, got ${String(value)}`);
    }
  }
  const merged: Record<string, number> = { ...DEFAULT_QUALITY_THRESHOLDS };
  for (const [key, value] of Object.entries(opts)) if (value !== undefined) merged[key] = value as number;
  return merged as unknown as QualityThresholds;
}

interface Centre {
  readonly median: number;
  /** Robust SD estimate (1.4826·MAD), floored at the statistic's minimum spread. */
  readonly scale: number;
}

function computeFlags(stats: readonly QualityStats[], t: QualityThresholds): QualityFlag[][] {
  const n = stats.length;
  const out: QualityFlag[][] = stats.map(() => []);
  if (n === 0) return out;
  const relative = n >= t.minImagesForRelative;

  const brightness = stats.map((s) => s.brightness);
  const logBlur = stats.map((s) => Math.log(s.blur + BLUR_LOG_EPSILON));
  const entropy = stats.map((s) => s.entropy);
  const logArea = stats.map((s) => Math.log(s.width * s.height));
  const logAspect = stats.map((s) => Math.log(s.aspect));
  const cBright = robustCentre(brightness, MIN_SPREAD.brightness);
  const cBlur = robustCentre(logBlur, MIN_SPREAD.logBlur);
  const cEntropy = robustCentre(entropy, MIN_SPREAD.entropy);
  const cArea = robustCentre(logArea, MIN_SPREAD.logArea);
  const cAspect = robustCentre(logAspect, MIN_SPREAD.logAspect);

  const colourShare = stats.filter((s) => !s.isGrayscale).length / n;
  const flagGrey = colourShare >= t.grayscaleMinColourShare;

  for (let i = 0; i < n; i++) {
    const s = stats[i];
    const flags = out[i];
    const zBright = z(brightness[i], cBright);

    if (s.brightness < t.veryDarkBrightness || (relative && s.brightness < t.darkMaxBrightness && zBright < -t.zScore)) {
      flags.push('dark');
    }
    if (s.brightness > t.veryBrightBrightness || (relative && s.brightness > t.overexposedMinBrightness && zBright > t.zScore)) {
      flags.push('overexposed');
    }
    const lowInfo =
      s.entropy < t.nearConstantEntropy || (relative && s.entropy < t.lowInfoMaxEntropy && z(entropy[i], cEntropy) < -t.zScore);
    if (lowInfo) flags.push('low-information');
    // A blank image has no edges at all; 'low-information' already says so, 'blurry' would mislead.
    if (
      relative &&
      !lowInfo &&
      z(logBlur[i], cBlur) < -t.zScore &&
      s.blur < t.blurryMaxRatio * (Math.exp(cBlur.median) - BLUR_LOG_EPSILON)
    ) {
      flags.push('blurry');
    }
    if (relative && isFar(logArea[i], cArea, t.zScore, Math.log(t.oddSizeMinRatio))) flags.push('odd-size');
    if (relative && isFar(logAspect[i], cAspect, t.zScore, Math.log(t.oddAspectMinRatio))) flags.push('odd-aspect');
    // A blank image has no hue to lose; its problem is already 'low-information'.
    if (flagGrey && s.isGrayscale && !lowInfo) flags.push('grayscale');
  }
  return out;
}

function z(x: number, c: Centre): number {
  return (x - c.median) / c.scale;
}

/** |x − median| beyond both `zScore` robust SDs and `minDeviation` (same units as x). */
function isFar(x: number, c: Centre, zScore: number, minDeviation: number): boolean {
  const d = Math.abs(x - c.median);
  return d > minDeviation && d > zScore * c.scale;
}

function robustCentre(values: readonly number[], minSpread: number): Centre {
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m)));
  // A zero scale would make every difference infinite; the floor keeps z finite and meaningful.
  const scale = Math.max(MAD_TO_SD * mad, minSpread, Number.MIN_VALUE);
  return { median: m, scale };
}

function median(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
}
