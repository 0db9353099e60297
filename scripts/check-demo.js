#!/usr/bin/env node
// Scores the demo's JSON report against the sample's ground truth (kept outside the dataset folder):
// precision and recall of the flagged label issues. Exits 1 when either is below a floor that any
// working pipeline clears on this sample, so CI notices a broken detector.
'use strict';
const { readFileSync } = require('node:fs');

/**
 * Floors: below what the default pipeline measures (2026-12-05, centernet+ssdlite: precision 0.829, recall 0.580;
 * the previous backbone measured 0.83 / 0.46, so recall under 0.5 means the second backbone's gain is gone),
 * far above a random flagger (~0.15).
 */
const MIN_PRECISION = 0.7;
const MIN_RECALL = 0.5;

const [reportPath, truthPath] = process.argv.slice(2);
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const truth = new Map();
const lines = readFileSync(truthPath, 'utf8').trim().split(/\r?\n/).slice(1);
for (const line of lines) {
  const [path, trueLabel, givenLabel] = line.split(',');
  truth.set(path, trueLabel !== givenLabel);
}
let tp = 0, fp = 0, fn = 0, missing = 0;
for (const im of report.images) {
  if (!truth.has(im.path)) { missing++; continue; }
  const wrong = truth.get(im.path);
  if (im.isLabelIssue && wrong) tp++;
  else if (im.isLabelIssue) fp++;
  else if (wrong) fn++;
}
const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
console.log(`demo vs ground truth: ${tp + fn} wrong labels, flagged ${tp + fp}; precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}, F1 ${(2 * precision * recall / Math.max(1e-9, precision + recall)).toFixed(3)}`);
if (missing > 0) { console.error(`${missing} report paths are not in the ground truth`); process.exit(1); }
if (precision < MIN_PRECISION || recall < MIN_RECALL) { console.error('demo quality below the floor'); process.exit(1); }
