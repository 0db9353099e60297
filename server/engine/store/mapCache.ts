/**
 * Computed 2-D map layouts, kept between processes: one file per layout, `<state>/maps/<key>.map`, in the dataset's
 * state folder (`stateDir.ts`: `<root>/.labellint`, or the per-user folder of a read-only dataset; a `.labellint`
 * link is refused). The key is `pipeline/mapStage.ts` `mapKey` (a sha256 of the layout's inputs), so a file can
 * never be stale, only unused; the newest `KEEP_MAPS` are kept.
 *
 * File: one JSON header line `{"format":"labellint-map","version":1,"n":N,"method":"umap"}\n`, then N float32 x and
 * N float32 y (little-endian). A file that does not parse, or holds another N, is a miss. Never throws: a map that
 * cannot be stored is computed again next time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileSafe } from '../dataset/safeWrite';
import type { MapPoints, MapStore } from '../pipeline/mapStage';
import { ensureStateGitignore, locateStateDir, resolveStateDir } from './stateDir';

/** Folder in the state folder. */
export const MAP_DIR = 'maps';
/** Layouts kept per dataset (a few: the current one and those of recent scopes or settings). */
export const KEEP_MAPS = 4;
const FORMAT = 'labellint-map';
const FORMAT_VERSION = 1;
const KEY_RE = /^[0-9a-f]{64}$/;

interface Header {
  readonly format: string;
  readonly version: number;
  readonly n: number;
  readonly method: string;
}

/** The bytes of a stored layout. */
export function encodeMap(p: MapPoints): Buffer {
  const header: Header = { format: FORMAT, version: FORMAT_VERSION, n: p.x.length, method: p.method };
  const xy = new Float32Array(2 * p.x.length);
  xy.set(p.x, 0);
  xy.set(p.y, p.x.length);
  const body = Buffer.from(xy.buffer, xy.byteOffset, xy.byteLength);
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), body]);
}

/** The layout in `buf` when it is one of `n` points; null otherwise. */
export function decodeMap(buf: Buffer, n: number): MapPoints | null {
  const nl = buf.indexOf(0x0a);
  if (nl < 0 || nl > 512) return null;
  let h: Partial<Header>;
  try {
    h = JSON.parse(buf.subarray(0, nl).toString('utf8')) as Partial<Header>;
  } catch {
    return null;
  }
  if (h.format !== FORMAT || h.version !== FORMAT_VERSION || h.n !== n || typeof h.method !== 'string') return null;
  const body = buf.subarray(nl + 1);
  if (body.byteLength !== 8 * n) return null;
  const xy = new Float32Array(2 * n);
  new Uint8Array(xy.buffer).set(body); // copy: the body need not be 4-byte aligned
  if (!xy.every(Number.isFinite)) return null;
  return { x: xy.slice(0, n), y: xy.slice(n), method: h.method };
}

/** Deletes all but the newest `keep` layout files in `dir`. */
function prune(dir: string, keep: number): void {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.map'))
    .map((f) => ({ f, t: fs.lstatSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of files.slice(keep)) fs.rmSync(path.join(dir, f), { force: true });
}

/** The map store of the dataset at `root`; `log` hears why a layout could not be stored. */
export function fileMapStore(root: string, log: (msg: string) => void = () => undefined): MapStore {
  const abs = path.resolve(root);
  return {
    get(key, n) {
      if (!KEY_RE.test(key)) return null;
      try {
        const at = locateStateDir(abs);
        if (!at.exists) return null;
        const fd = fs.openSync(path.join(at.dir, MAP_DIR, `${key}.map`), fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
        try {
          return decodeMap(fs.readFileSync(fd), n);
        } finally {
          fs.closeSync(fd);
        }
      } catch {
        return null; // no layout stored (or a `.labellint` link, which is not read)
      }
    },
    put(key, points) {
      if (!KEY_RE.test(key)) return;
      try {
        const state = resolveStateDir(abs);
        if (state.inDataset) ensureStateGitignore(abs, state.dir);
        const dir = path.join(state.dir, MAP_DIR);
        writeFileSafe(path.join(dir, `${key}.map`), encodeMap(points), state.inDataset ? { root: abs } : {});
        prune(dir, KEEP_MAPS);
      } catch (e) {
        log(`LabelLint: the map layout was not stored (${e instanceof Error ? e.message : String(e)}); it is computed again next time.`);
      }
    },
  };
}
