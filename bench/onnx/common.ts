/**
 * Shared by the ONNX bench scripts: the image list (Fashion-MNIST mini + Tux Paint stamps, interleaved),
 * sharp decode + resize exactly like bench/embed.ts, ONNX Runtime from this folder's rt/ install.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { loadOnnxRuntime, OrtApi } from '../../server/engine/embed/onnxRunner';

export const SIZE = 224;
const STAMPS = '/usr/share/tuxpaint/stamps';
const FASHION = path.join(__dirname, '..', '..', '..', 'sample', 'fashion-mnist-mini');
/** Where bench/onnx/README.md installs onnxruntime-node (outside the project's package.json). */
export const ORT_DIR = path.join(__dirname, '..', '..', '..', 'bench', 'onnx', 'rt');

function walk(dir: string, ext: RegExp, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, ext, out);
    else if (ext.test(e.name) && !e.name.includes('_mirror')) out.push(p);
  }
  return out;
}

/** n image files, alternating stamps and Fashion-MNIST (each list cycled when short). */
export function listImages(n: number): string[] {
  const stamps = walk(STAMPS, /\.png$/i);
  const fashion = walk(FASHION, /\.(png|jpe?g)$/i);
  const lists = [stamps, fashion].filter((l) => l.length > 0);
  if (lists.length === 0) throw new Error(`no images in ${STAMPS} or ${FASHION}`);
  // Spread picks over each list so every class / stamp folder is represented.
  return Array.from({ length: n }, (_, i) => {
    const l = lists[i % lists.length];
    const k = Math.floor(i / lists.length);
    return l[Math.floor((k * l.length) / Math.ceil(n / lists.length)) % l.length];
  });
}

/** Decode + resize to SIZE×SIZE RGB (alpha flattened on white), as bench/embed.ts. */
export async function decode(file: string | Buffer): Promise<Uint8Array> {
  const buf = await sharp(file).flatten({ background: '#ffffff' }).resize(SIZE, SIZE, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function requireOrt(): OrtApi {
  const { ort, detail } = loadOnnxRuntime(ORT_DIR);
  if (!ort) throw new Error(`${detail}. Install it: see bench/onnx/README.md.`);
  return ort;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function loadAverage(): number {
  return os.loadavg()[0];
}

/** Waits (up to maxWaitS) until the 1-minute load average is below `limit`; returns the load it saw last. */
export async function waitForQuiet(limit: number, maxWaitS: number, log: (s: string) => void): Promise<number> {
  const t0 = Date.now();
  let load = loadAverage();
  while (load >= limit && Date.now() - t0 < maxWaitS * 1000) {
    log(`load ${load.toFixed(2)} ≥ ${limit}: waiting…\n`);
    await new Promise((r) => setTimeout(r, 15_000));
    load = loadAverage();
  }
  return load;
}
