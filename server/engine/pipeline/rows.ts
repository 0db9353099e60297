/** The embedding matrix the label, neighbour and map stages share: one row per image that was embedded. */
import type { Matrix } from '../types';
import type { EmbeddedItem } from './embeddedItem';

export interface EmbeddingRows {
  /** Indices into `items` of the images that were analysed (decoded and embedded); row r is item `analysed[r]`. */
  readonly analysed: Int32Array;
  /** m×dim, one embedding per analysed item. */
  readonly X: Matrix;
  /** Per row: index of the given label in `classes` (0 for an unknown name). */
  readonly labels: Int32Array;
  /** Per row: content hash. */
  readonly hashes: string[];
}

export function embeddingRows(items: readonly EmbeddedItem[], classes: readonly string[]): EmbeddingRows {
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const analysedList: number[] = [];
  items.forEach((e, i) => e.vector && analysedList.push(i));
  const analysed = Int32Array.from(analysedList);
  const m = analysed.length;
  const dim = m > 0 ? items[analysed[0]].vector!.length : 0;
  const X: Matrix = { rows: m, cols: dim, data: new Float32Array(m * dim) };
  const labels = new Int32Array(m);
  for (let r = 0; r < m; r++) {
    const e = items[analysed[r]];
    if (e.vector!.length !== dim) throw new Error(`${e.item.path}: embedding has ${e.vector!.length} dims, expected ${dim}`);
    X.data.set(e.vector!, r * dim);
    labels[r] = classIndex.get(e.item.label) ?? 0;
  }
  return { analysed, X, labels, hashes: Array.from(analysed, (i) => items[i].hash) };
}
