/**
 * Bench-only: embedded sets saved as one binary + JSON pair per backbone under bench/data/emb/
 * (`<set>.<model>.f32` + `.json`), so experiments reload in ms.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, type EmbeddedSet } from './sets';

const EMB_DIR = join(DATA_DIR, 'emb');

export function saveSet(s: EmbeddedSet, model: string): void {
  mkdirSync(EMB_DIR, { recursive: true });
  writeFileSync(join(EMB_DIR, `${s.name}.${model}.f32`), Buffer.from(s.X.data.buffer, s.X.data.byteOffset, s.X.data.byteLength));
  writeFileSync(join(EMB_DIR, `${s.name}.${model}.json`), JSON.stringify({ rows: s.X.rows, cols: s.X.cols, labels: Array.from(s.labels), classes: s.classes, paths: s.paths }));
}

export function loadSet(name: string, model: string): EmbeddedSet | null {
  const j = join(EMB_DIR, `${name}.${model}.json`);
  if (!existsSync(j)) return null;
  const m = JSON.parse(readFileSync(j, 'utf8')) as { rows: number; cols: number; labels: number[]; classes: string[]; paths: string[] };
  const b = readFileSync(join(EMB_DIR, `${name}.${model}.f32`));
  const data = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return { name, X: { rows: m.rows, cols: m.cols, data }, labels: Int32Array.from(m.labels), classes: m.classes, paths: m.paths };
}
