/** Collision-free file names for moves: never overwrite, `a.png` taken → `a (1).png`, `a (2).png`, … */
import * as path from 'node:path';

/** Upper bound on `(n)` suffixes tried before giving up (a folder with 10,000 `a (n).png` is not a real case). */
const MAX_SUFFIX = 10_000;

/**
 * Absolute path in `dir` for `fileName` that `taken` says is free.
 * `taken` must answer for both existing files and targets already reserved by the same plan.
 */
export function collisionFreePath(dir: string, fileName: string, taken: (abs: string) => boolean): string {
  const first = path.join(dir, fileName);
  if (!taken(first)) return first;
  const ext = path.extname(fileName);
  const stem = ext && ext !== fileName ? fileName.slice(0, -ext.length) : fileName;
  const base = ext === fileName ? '' : ext;
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const candidate = path.join(dir, `${stem} (${n})${base}`);
    if (!taken(candidate)) return candidate;
  }
  throw new Error(`no free name for ${fileName} in ${dir}`);
}
