import type { KnnGraph } from '../../../server/engine/types';

/** Brute-force cosine kNN (self excluded), most similar first, ties by index. Test helper only. */
export function bruteKnn(vecs: number[][], k: number): KnnGraph {
  const n = vecs.length;
  const unit = vecs.map((v) => {
    const s = Math.hypot(...v);
    return v.map((x) => x / s);
  });
  const indices = new Int32Array(n * k).fill(-1);
  const similarities = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const cand = [];
    for (let j = 0; j < n; j++) if (j !== i) cand.push({ j, s: unit[i].reduce((acc, x, d) => acc + x * unit[j][d], 0) });
    cand.sort((a, b) => b.s - a.s || a.j - b.j);
    cand.slice(0, k).forEach((c, p) => {
      indices[i * k + p] = c.j;
      similarities[i * k + p] = c.s;
    });
  }
  return { n, k, indices, similarities };
}
