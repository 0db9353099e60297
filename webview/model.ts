/**
 * The result as the view reads it: typed arrays indexed by image number, built once per result.
 * Pure (no DOM), so unit tests build it from plain objects.
 */
import type { AnalysisResult, ImageResult, IssueKind } from '../protocol/results.js';
import { labelLevel, openIssues, type SummaryFilter } from '../protocol/summary.js';

export interface Dataset {
  readonly result: AnalysisResult;
  readonly classes: readonly string[];
  readonly n: number;
  /** N: index of the given label in `classes`. */
  readonly given: Int32Array;
  /** N: index of the suggested label, −1 when none. */
  readonly suggested: Int32Array;
  /** N: label quality in [0,1], lower = more likely mislabelled. */
  readonly quality: Float32Array;
  /** N: 1 when the image has any counted open issue (the summary's `flaggedImages`). */
  readonly flagged: Uint8Array;
  /** N: the kinds of the image's counted open issues (kinds 'off' left out; a 'possible' label issue is not 'label'). */
  readonly kinds: readonly (readonly IssueKind[])[];
  /** N: 1 when the image is a 'possible' label issue (the review queue). */
  readonly possible: Uint8Array;
  /** N: calibrated probability that the given label is wrong. */
  readonly pWrong: Float32Array;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly images: readonly ImageResult[];
  readonly indexOfPath: ReadonlyMap<string, number>;
  /** K lists of image indices by given label (the map draws one pass per colour). */
  readonly byClass: readonly Int32Array[];
}

/**
 * Builds the view's arrays. `off` is the summary filter's kinds-off (the same filter as every count);
 * decided images are not filtered here: a decided tile stays in the grid with its decision shown.
 */
export function buildDataset(result: AnalysisResult, off: SummaryFilter['off'] = []): Dataset {
  const classes = result.classes;
  const cls = new Map(classes.map((c, i) => [c, i]));
  const n = result.images.length;
  const given = new Int32Array(n);
  const suggested = new Int32Array(n);
  const quality = new Float32Array(n);
  const flagged = new Uint8Array(n);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const counts = new Int32Array(classes.length);
  const indexOfPath = new Map<string, number>();
  result.images.forEach((im, i) => indexOfPath.set(im.path, i));
  const kinds: IssueKind[][] = Array.from({ length: n }, () => []);
  const possible = new Uint8Array(n);
  const pWrong = new Float32Array(n);
  for (const issue of openIssues(result, { off })) {
    const i = indexOfPath.get(issue.path);
    if (i === undefined) continue;
    if (labelLevel(issue) === 'possible') possible[i] = 1;
    else if (!kinds[i].includes(issue.kind)) kinds[i].push(issue.kind);
  }
  result.images.forEach((im, i) => {
    pWrong[i] = Number.isFinite(im.pLabelWrong) ? im.pLabelWrong : 0;
    given[i] = cls.get(im.givenLabel) ?? -1;
    suggested[i] = im.suggestedLabel === null ? -1 : (cls.get(im.suggestedLabel) ?? -1);
    quality[i] = im.labelQuality;
    flagged[i] = kinds[i].length > 0 ? 1 : 0;
    x[i] = Number.isFinite(im.x) ? im.x : 0;
    y[i] = Number.isFinite(im.y) ? im.y : 0;
    if (given[i] >= 0) counts[given[i]]++;
  });
  const byClass = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(classes.length);
  for (let i = 0; i < n; i++) if (given[i] >= 0) byClass[given[i]][fill[given[i]]++] = i;
  return { result, classes, n, given, suggested, quality, flagged, kinds, possible, pWrong, x, y, images: result.images, indexOfPath, byClass };
}

/**
 * K×K counts, rows = given label, columns = suggested label, from the same arrays the grid selects from:
 * a cell's count is exactly the number of images its click shows.
 */
export function confusionFromImages(d: Dataset): number[][] {
  const k = d.classes.length;
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < d.n; i++) if (d.given[i] >= 0 && d.suggested[i] >= 0) m[d.given[i]][d.suggested[i]]++;
  return m;
}

/**
 * The grid order after a re-run, so review stays put: every image shown before keeps its place (a moved
 * image under its new path, found through `renamed`), images that left the dataset drop out, images new
 * to the source are appended at the end in `fresh` order.
 */
export function stableOrder(d: Dataset, previous: readonly string[], fresh: readonly number[], renamed: ReadonlyMap<string, string>): number[] {
  const out: number[] = [];
  const taken = new Set<number>();
  for (const p of previous) {
    const i = d.indexOfPath.get(renamed.get(p) ?? p) ?? d.indexOfPath.get(p);
    if (i === undefined || taken.has(i)) continue;
    taken.add(i);
    out.push(i);
  }
  for (const i of fresh) {
    if (taken.has(i)) continue;
    taken.add(i);
    out.push(i);
  }
  return out;
}

/** What the image grid shows. */
export type GridSource =
  | { readonly kind: 'flagged' }
  | { readonly kind: 'all' }
  | { readonly kind: 'issue'; readonly issue: IssueKind }
  /** The label review queue: images whose P(label wrong) is at least `minP` (confident and possible), most likely wrong first. */
  | { readonly kind: 'review'; readonly minP: number }
  | { readonly kind: 'cell'; readonly given: string; readonly predicted: string }
  | { readonly kind: 'selection'; readonly paths: readonly string[] }
  | { readonly kind: 'duplicates'; readonly group: number };

/** Image indices for a source, sorted by label quality ascending (ties by path, so the order is stable). */
export function selectImages(d: Dataset, src: GridSource): number[] {
  const out: number[] = [];
  switch (src.kind) {
    case 'flagged':
      for (let i = 0; i < d.n; i++) if (d.flagged[i]) out.push(i);
      break;
    case 'all':
      for (let i = 0; i < d.n; i++) out.push(i);
      break;
    case 'issue':
      for (let i = 0; i < d.n; i++) if (d.kinds[i].includes(src.issue)) out.push(i);
      break;
    case 'review':
      for (let i = 0; i < d.n; i++) if ((d.kinds[i].includes('label') || d.possible[i]) && d.pWrong[i] >= src.minP) out.push(i);
      return out.sort((a, b) => d.pWrong[b] - d.pWrong[a] || d.quality[a] - d.quality[b] || (d.images[a].path < d.images[b].path ? -1 : 1));
    case 'cell': {
      const g = d.classes.indexOf(src.given);
      const p = d.classes.indexOf(src.predicted);
      for (let i = 0; i < d.n; i++) if (d.given[i] === g && d.suggested[i] === p && g >= 0) out.push(i);
      break;
    }
    case 'selection':
      for (const p of src.paths) {
        const i = d.indexOfPath.get(p);
        if (i !== undefined) out.push(i);
      }
      break;
    case 'duplicates':
      for (const p of d.result.duplicates[src.group]?.paths ?? []) {
        const i = d.indexOfPath.get(p);
        if (i !== undefined) out.push(i);
      }
      return out; // group order is meaningful (as found)
  }
  return sortByQuality(d, out);
}

export function sortByQuality(d: Dataset, idx: number[]): number[] {
  return idx.sort((a, b) => d.quality[a] - d.quality[b] || (d.images[a].path < d.images[b].path ? -1 : d.images[a].path > d.images[b].path ? 1 : 0));
}

export function describeSource(d: Dataset | undefined, src: GridSource, count: number): string {
  switch (src.kind) {
    case 'flagged':
      return `Flagged images (${count})`;
    case 'all':
      return `All images (${count})`;
    case 'issue':
      return `${src.issue === 'label' ? 'Label issues' : `Issue: ${src.issue}`} (${count})`;
    case 'review':
      return `Label review queue: P(label wrong) ≥ ${Math.round(src.minP * 100)}% (${count})`;
    case 'cell':
      return `Given ${src.given} → suggested ${src.predicted} (${count})`;
    case 'selection':
      return `Map selection (${count})`;
    case 'duplicates': {
      const g = d?.result.duplicates[src.group];
      return `Duplicate group ${src.group + 1}${g ? (g.exact ? ', exact' : `, similarity ${(g.similarity * 100).toFixed(1)}%`) : ''} (${count})`;
    }
  }
}

export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}
