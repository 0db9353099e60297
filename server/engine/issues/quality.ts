/**
 * Dataset-relative image-quality flags: every image is compared against the rest of its dataset (robust
 * z-scores with the median absolute deviation), so a dataset that is dark, greyscale or blurry by nature
 * (MNIST, Fashion-MNIST, night-sky photos) is not flagged wholesale. The per-image statistics come from
 * `dataset/quality.ts`.
 */
import type { QualityFlag } from '../../../protocol/results';
import type { QualityStats } from '../dataset/quality';

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
