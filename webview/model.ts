/**
 * The result as the view reads it: typed arrays indexed by image number, built once per result.
 * Pure (no DOM), so unit tests build it from plain objects.
 */
import type { AnalysisResult, ImageResult, IssueKind } from '../protocol/results.js';

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
  /** N: 1 when the image has any issue. */
  readonly flagged: Uint8Array;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly images: readonly ImageResult[];
  readonly indexOfPath: ReadonlyMap<string, number>;
  /** K lists of image indices by given label (the map draws one pass per colour). */
  readonly byClass: readonly Int32Array[];
}

export function buildDataset(result: AnalysisResult): Dataset {
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
  result.images.forEach((im, i) => {
    given[i] = cls.get(im.givenLabel) ?? -1;
    suggested[i] = im.suggestedLabel === null ? -1 : (cls.get(im.suggestedLabel) ?? -1);
    quality[i] = im.labelQuality;
    flagged[i] = im.issueKinds.length > 0 ? 1 : 0;
    x[i] = Number.isFinite(im.x) ? im.x : 0;
    y[i] = Number.isFinite(im.y) ? im.y : 0;
    if (given[i] >= 0) counts[given[i]]++;
    indexOfPath.set(im.path, i);
  });
  const byClass = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(classes.length);
  for (let i = 0; i < n; i++) if (given[i] >= 0) byClass[given[i]][fill[given[i]]++] = i;
  return { result, classes, n, given, suggested, quality, flagged, x, y, images: result.images, indexOfPath, byClass };
}

/** What the image grid shows. */
export type GridSource =
  | { readonly kind: 'flagged' }
  | { readonly kind: 'all' }
  | { readonly kind: 'issue'; readonly issue: IssueKind }
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
      for (let i = 0; i < d.n; i++) if (d.images[i].issueKinds.includes(src.issue)) out.push(i);
      break;
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
      return `Issue: ${src.issue} (${count})`;
    case 'cell':
      return `Given ${src.given} → predicted ${src.predicted} (${count})`;
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
