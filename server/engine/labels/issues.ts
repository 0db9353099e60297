/**
 * From per-image verdict probabilities to what a person sees: a verdict level per image, the suggested
 * class, and the `label` issues (confident ones as Problems warnings, possible ones as the review queue).
 */
import type { Issue, LabelVerdict } from '../../../protocol/results';
import { POSSIBLE_MIN_P } from '../../../protocol/results';
import { formatPLabelWrong } from '../../../protocol/format';
import type { Judgement } from './judge';

/** Index of the largest entry of row r of an N×K matrix (first on ties). */
export function argmaxRow(m: Float32Array, r: number, K: number, skip = -1): number {
  let b = skip === 0 ? 1 : 0;
  for (let c = b + 1; c < K; c++) if (c !== skip && m[r * K + c] > m[r * K + b]) b = c;
  return b;
}

/** The verdict level of one probability: confident ≥ minConfidence > possible ≥ POSSIBLE_MIN_P > none. */
export function verdictOf(p: number, minConfidence: number): LabelVerdict {
  if (p >= minConfidence) return 'confident';
  return p >= Math.min(POSSIBLE_MIN_P, minConfidence) ? 'possible' : 'none';
}

export interface VerdictRows {
  /** Per analysed row: P(label wrong) (0 where a person confirmed the label). */
  readonly pLabelWrong: Float32Array;
  readonly verdicts: LabelVerdict[];
  /** Per analysed row: the most likely true class, and its probability given the image and its label. */
  readonly suggested: Int32Array;
  readonly suggestedProb: Float32Array;
  readonly issues: Issue[];
}

export function labelVerdicts(a: {
  j: Pick<Judgement, 'pLabelWrong' | 'truePosterior'>;
  labels: Int32Array;
  /** Row → index into items. */
  analysed: Int32Array;
  items: readonly { readonly item: { readonly path: string; readonly label: string } }[];
  classes: readonly string[];
  trusted: readonly boolean[];
  minConfidence: number;
}): VerdictRows {
  const { j, labels, analysed, classes } = a;
  const K = classes.length;
  const m = labels.length;
  const out: VerdictRows = { pLabelWrong: new Float32Array(m), verdicts: new Array<LabelVerdict>(m).fill('none'), suggested: new Int32Array(m), suggestedProb: new Float32Array(m), issues: [] };
  for (let r = 0; r < m; r++) {
    const i = analysed[r];
    const p = a.trusted[i] ? 0 : j.pLabelWrong[r];
    const verdict = verdictOf(p, a.minConfidence);
    const s = verdict === 'none' ? argmaxRow(j.truePosterior, r, K) : argmaxRow(j.truePosterior, r, K, labels[r]);
    out.pLabelWrong[r] = p;
    out.verdicts[r] = verdict;
    out.suggested[r] = s;
    out.suggestedProb[r] = j.truePosterior[r * K + s];
    if (verdict === 'none') continue;
    const it = a.items[i].item;
    const name = it.path.slice(it.path.lastIndexOf('/') + 1);
    const message =
      verdict === 'confident'
        ? `${name}: labelled '${it.label}' but probably '${classes[s]}' (${formatPLabelWrong(p)} chance the label is wrong)`
        : `${name}: label '${it.label}' may be wrong, maybe '${classes[s]}' (${formatPLabelWrong(p)} chance the label is wrong; review queue)`;
    out.issues.push({ kind: 'label', path: it.path, score: p, message, suggestedLabel: classes[s], suggestedProb: j.truePosterior[r * K + s], pLabelWrong: p, verdict });
  }
  return out;
}
