/**
 * Confident learning (Northcutt, Jiang, Chuang, JAIR 2021), matching cleanlab 2.x numbers.
 * labels: Int32Array N (0..K-1); predProbs: Float32Array | Float64Array N×K row-major (rows should sum to 1);
 * K×K matrices: row-major Float64Array. Label quality scores: lower = more likely mislabelled.
 */
export {
  getConfidentThresholds,
  computeConfidentJoint,
  calibrateConfidentJoint,
  estimateJoint,
  estimateLatent,
  estimateNoiseRate,
  estimatePerClassNoiseRates,
  numLabelIssues,
} from './count';
export type { ConfidentJointOptions, LatentEstimates, PerClassNoise, NumLabelIssuesMethod, PredProbs } from './count';
export { findLabelIssues, findPredictedNeqGiven, FILTER_BY } from './filter';
export type { FilterBy, FindLabelIssuesOptions } from './filter';
export { getLabelQualityScores, orderLabelIssues, RANK_METHODS } from './rank';
export type { RankMethod, LabelQualityOptions } from './rank';
export * as constants from './constants';
