/**
 * Builders for the hostile and broken files the trust tests (test/unit/trust-*.test.ts) feed the engine.
 * Everything is generated in memory (zlib + sharp) so no large fixture is committed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const SAMPLE = path.join(REPO, 'sample', 'fashion-mnist-mini');
export const BIN = path.join(REPO, 'bin', 'labellint.js');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `labellint-trust-${prefix}-`));
}

/** The first `n` images (sorted) of one class of the committed sample, as absolute paths. */
export function sampleImages(cls: string, n: number): string[] {
  const dir = path.join(SAMPLE, cls);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .slice(0, n)
    .map((f) => path.join(dir, f));
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A complete, valid greyscale PNG of width×height filled with zeros (black), at `bitDepth` 1 or 8.
 * Flat rows deflate ~1000:1, so a 20,000×20,000 image is a ~50 KB file: a genuine image, not a crafted header.
 */
export function flatGreyPng(width: number, height: number, bitDepth: 1 | 8): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil((width * bitDepth) / 8); // filter byte + packed samples
  const idat = zlib.deflateSync(Buffer.alloc(rowBytes * height), { level: 9 });
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A decompression bomb: a PNG whose header declares width×height RGB but whose IDAT holds four rows. */
export function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2; // RGB
  const idat = zlib.deflateSync(Buffer.alloc((width * 3 + 1) * 4));
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Deterministic noise, w×h×3. */
export function noise(w: number, h: number, seed = 1): Buffer {
  const buf = Buffer.alloc(w * h * 3);
  let a = seed >>> 0;
  for (let i = 0; i < buf.length; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    buf[i] = a >>> 24;
  }
  return buf;
}

export async function noiseJpeg(w: number, h: number, seed = 1): Promise<Buffer> {
  return sharp(noise(w, h, seed), { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

/** The first half of a JPEG: scan data cut mid-way, no end marker. */
export async function truncatedJpeg(): Promise<Buffer> {
  const full = await noiseJpeg(64, 64, 7);
  return full.subarray(0, Math.floor(full.length / 2));
}

export async function cmykJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .toColourspace('cmyk')
    .jpeg()
    .toBuffer();
}

export async function png16(): Promise<Buffer> {
  return sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 200, g: 30, b: 90 } } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
}

export async function onePixelPng(): Promise<Buffer> {
  return sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 10, g: 200, b: 10 } } }).png().toBuffer();
}

/** Three 16×16 frames (red, green, blue). */
export async function animatedGif(): Promise<Buffer> {
  const frames = Buffer.alloc(16 * 16 * 4 * 3);
  for (let f = 0; f < 3; f++) {
    for (let i = 0; i < 256; i++) {
      const o = (f * 256 + i) * 4;
      frames[o + f] = 255;
      frames[o + 3] = 255;
    }
  }
  return sharp(frames, { raw: { width: 16, height: 48, channels: 4, pageHeight: 16 } }).gif().toBuffer();
}

/** Seeded PRNG (mulberry32), the engine's own: same seed, same sequence. */
export { makeRng as mulberry32 } from '../../server/engine/numerics/rng';

/** Rejects with a clear error when `p` does not settle within `ms` (the fuzz tests' hang guard). */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}
