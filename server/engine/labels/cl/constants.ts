/**
 * Numeric constants of confident learning. Values and names follow cleanlab
 * `cleanlab/internal/constants.py` (2.x) so results match it bit for bit where the arithmetic allows.
 */

/** Fuzzy "≥" in the confident-joint count (`p >= t - 1e-6`) and the bonus given to the given label in `_reduce_issues`. */
export const FLOATING_POINT_COMPARISON = 1e-6;

/** Lower bound for probabilities that are divided by or logged (self-confidence in entropy scoring; py). */
export const CLIPPING_LOWER_BOUND = 1e-6;

/** Confident thresholds are clipped from below to this; it must exceed FLOATING_POINT_COMPARISON so `t - 1e-6 > 0`. */
export const CONFIDENT_THRESHOLDS_LOWER_BOUND = 2 * FLOATING_POINT_COMPARISON;

/** Denominator floor for row/column normalisations of counts that may be all zero. */
export const TINY_VALUE = 1e-100;

/** Denominator floor in per-class noise rates (cleanlab `dataset.rank_classes_by_label_quality` uses EPSILON = 1e-6). */
export const EPSILON = 1e-6;

/**
 * Threshold given to classes with no examples: no probability (≤ 1) reaches it, so no example is
 * confidently counted into a class nobody was labelled with (cleanlab `get_confident_thresholds`, BIG_VALUE).
 */
export const MISSING_CLASS_THRESHOLD = 2;

/** Off-diagonal noise rates are clipped to at most this before columns are re-normalised (cleanlab `clip_noise_rates`). */
export const MAX_NOISE_RATE = 0.9999;

/** Tolerance of the predProbs range check: values must lie in [-1e-6, 1 + 1e-6] (cleanlab `assert_valid_inputs`). */
export const PROBABILITY_RANGE_TOLERANCE = FLOATING_POINT_COMPARISON;
