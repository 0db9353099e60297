import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { DecodeError, decodeImage, decodeThumbnail, MAX_INPUT_PIXELS, sniffImageFormat } from '../../server/engine/dataset/decode';
import { hammingDistance } from '../../server/engine/dataset/quality';

/** Deterministic noisy RGB image, w×h×3. */
function noise(w: number, h: number, seed = 1): Buffer {
  const buf = Buffer.alloc(w * h * 3);
  let a = seed >>> 0;
  for (let i = 0; i < buf.length; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    buf[i] = a >>> 24;
  }
  return buf;
}

function rawRgb(data: Buffer, width: number, height: number, channels: 1 | 2 | 3 | 4 = 3): sharp.Sharp {
  return sharp(data, { raw: { width, height, channels } });
}

async function rejectsWith(p: Promise<unknown>, reason: DecodeError['reason'], messagePattern?: RegExp): Promise<DecodeError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DecodeError, `expected DecodeError '${reason}', got ${String(caught)}`);
  assert.equal(caught.reason, reason, caught.message);
  if (messagePattern) assert.match(caught.message, messagePattern);
  return caught;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A PNG whose header declares width×height RGB but whose IDAT holds only a few rows of zeros. */
function craftedPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const idat = zlib.deflateSync(Buffer.alloc((width * 3 + 1) * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

test('zero-byte file is empty, without sharp', async () => {
  await rejectsWith(decodeImage(Buffer.alloc(0), 32), 'empty', /empty/);
});

test('a text file named .png is not an image and the message shows its first bytes', async () => {
  const err = await rejectsWith(decodeImage(Buffer.from('<html><body>404 Not Found</body></html>'), 32), 'not-an-image');
  assert.match(err.message, /starts with bytes 3c 68 74 6d/);
  assert.match(err.message, /looks like text: "<html>/);
});

test('binary junk is not an image; a lone signature prefix is truncated', async () => {
  await rejectsWith(decodeImage(Buffer.from([0x00, 0x01, 0x02, 0x03, 0x04]), 32), 'not-an-image', /00 01 02 03/);
  await rejectsWith(decodeImage(Buffer.from([0x89, 0x50, 0x4e]), 32), 'truncated');
});

test('BMP and HEIC are recognised but unsupported', async () => {
  await rejectsWith(decodeImage(Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]), 32), 'unsupported', /BMP/);
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(16)]);
  await rejectsWith(decodeImage(heic, 32), 'unsupported', /HEIC/);
});

test('sniffImageFormat recognises the supported signatures', async () => {
  const px = noise(4, 4);
  for (const fmt of ['jpeg', 'png', 'gif', 'webp', 'tiff'] as const) {
    const bytes = await rawRgb(px, 4, 4).toFormat(fmt).toBuffer();
    assert.equal(sniffImageFormat(bytes)?.format, fmt);
  }
});

test('truncated JPEG is reported as truncated, not silently grey-filled', async () => {
  const jpg = await rawRgb(noise(256, 192), 256, 192).jpeg({ quality: 90 }).toBuffer();
  const progressive = await rawRgb(noise(256, 192), 256, 192).jpeg({ quality: 90, progressive: true }).toBuffer();
  // Downscaling pipelines read lazily, so also check cuts near the end and both small and large sizes.
  for (const bytes of [jpg, progressive]) {
    for (const frac of [0.3, 0.9, 0.99, 0.999]) {
      for (const size of [16, 32, 224]) {
        const cut = bytes.subarray(0, Math.floor(bytes.length * frac));
        await rejectsWith(decodeImage(cut, size), 'truncated', /JPEG file is truncated/);
      }
    }
  }
});

test('JPEG missing only its EOI marker still decodes, identical to the intact file', async () => {
  const jpg = await rawRgb(noise(64, 48), 64, 48).jpeg({ quality: 90 }).toBuffer();
  const intact = await decodeImage(jpg, 32);
  const noEoi = await decodeImage(jpg.subarray(0, jpg.length - 2), 32);
  assert.deepEqual(noEoi.pixels, intact.pixels);
});

test('JPEG with trailing garbage after EOI decodes', async () => {
  const jpg = await rawRgb(noise(64, 48), 64, 48).jpeg().toBuffer();
  const img = await decodeImage(Buffer.concat([jpg, Buffer.from('trailing garbage')]), 16);
  assert.equal(img.width, 64);
});

test('truncated and corrupt PNGs', async () => {
  const png = await rawRgb(noise(128, 128), 128, 128).png().toBuffer();
  await rejectsWith(decodeImage(png.subarray(0, png.length >> 1), 32), 'truncated', /PNG/);
  const corrupt = Buffer.from(png);
  for (let i = 200; i < 260; i++) corrupt[i] ^= 0x55; // IDAT data, CRC now wrong, IEND intact
  await rejectsWith(decodeImage(corrupt, 32), 'unreadable', /PNG file is corrupt/);
});

test('PNG bomb: a 30000×30000 header is rejected as too-large before any pixels are allocated', async () => {
  const bomb = craftedPng(30000, 30000);
  assert.ok(bomb.length < 2000);
  const before = process.memoryUsage().rss;
  const err = await rejectsWith(decodeImage(bomb, 224), 'too-large');
  assert.match(err.message, /30000×30000 = 900 MP, over the 100 MP limit \(possible decompression bomb\)/);
  // 900 MP RGB would be 2.7 GB; allow generous slack for the test runner's own allocations.
  assert.ok(process.memoryUsage().rss - before < 512 * 1024 * 1024);
  await rejectsWith(decodeThumbnail(bomb, 128), 'too-large');
  assert.equal(MAX_INPUT_PIXELS, 100_000_000);
});

test('maxPixels option lowers the limit', async () => {
  const png = await rawRgb(noise(100, 100), 100, 100).png().toBuffer();
  await rejectsWith(decodeImage(png, 16, { maxPixels: 5000 }), 'too-large', /100×100 = 0\.01 MP, over the 0\.005 MP limit/);
  const ok = await decodeImage(png, 16, { maxPixels: 10_000 });
  assert.equal(ok.width, 100);
});

test('CMYK JPEG becomes 3-channel sRGB', async () => {
  const cmyk = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .toColourspace('cmyk')
    .jpeg()
    .toBuffer();
  const img = await decodeImage(cmyk, 8);
  assert.equal(img.channels, 4);
  assert.equal(img.pixels.length, 8 * 8 * 3);
  const [r, g, b] = img.pixels;
  assert.ok(r > 150 && g < 80 && b < 80, `expected red, got ${r},${g},${b}`);
  assert.equal(img.isGrayscale, false);
});

test('16-bit PNG becomes 8-bit RGB with the same colour', async () => {
  const png16 = await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 200, g: 30, b: 90 } } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
  const img = await decodeImage(png16, 4);
  assert.equal(img.pixels.length, 4 * 4 * 3);
  for (let o = 0; o < img.pixels.length; o += 3) {
    assert.ok(Math.abs(img.pixels[o] - 200) <= 1 && Math.abs(img.pixels[o + 1] - 30) <= 1 && Math.abs(img.pixels[o + 2] - 90) <= 1);
  }
});

test('EXIF orientation 6 swaps width/height and rotates pixels 90° clockwise', async () => {
  // 40×20 stored image: left half red, right half blue.
  const w = 40;
  const h = 20;
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      if (x < w / 2) data[o] = 255;
      else data[o + 2] = 255;
    }
  }
  const jpg = await rawRgb(data, w, h).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  const img = await decodeImage(jpg, 16);
  assert.equal(img.width, 20);
  assert.equal(img.height, 40);
  // Rotated 90° CW: stored left (red) is now the top, stored right (blue) the bottom.
  const at = (x: number, y: number): number[] => Array.from(img.pixels.subarray((y * 16 + x) * 3, (y * 16 + x) * 3 + 3));
  const top = at(8, 2);
  const bottom = at(8, 13);
  assert.ok(top[0] > 200 && top[2] < 60, `top should be red, got ${top}`);
  assert.ok(bottom[2] > 200 && bottom[0] < 60, `bottom should be blue, got ${bottom}`);
  assert.equal(img.quality.width, 20);
  assert.equal(img.quality.aspect, 0.5);
});

test('animated GIF: first frame only, frames counted', async () => {
  // Three 16×16 frames: red, green, blue.
  const frames = Buffer.alloc(16 * 16 * 4 * 3);
  for (let f = 0; f < 3; f++) {
    for (let i = 0; i < 256; i++) {
      const o = (f * 256 + i) * 4;
      frames[o + f] = 255;
      frames[o + 3] = 255;
    }
  }
  const gif = await sharp(frames, { raw: { width: 16, height: 48, channels: 4, pageHeight: 16 } }).gif().toBuffer();
  const img = await decodeImage(gif, 8);
  assert.equal(img.frames, 3);
  assert.equal(img.width, 16);
  assert.equal(img.height, 16);
  for (let o = 0; o < img.pixels.length; o += 3) {
    assert.deepEqual([img.pixels[o], img.pixels[o + 1], img.pixels[o + 2]], [255, 0, 0]);
  }
});

test('1×1 image decodes to a uniform size×size image', async () => {
  const png = await rawRgb(Buffer.from([10, 200, 30]), 1, 1).png().toBuffer();
  const img = await decodeImage(png, 5);
  assert.equal(img.width, 1);
  assert.equal(img.height, 1);
  for (let o = 0; o < img.pixels.length; o += 3) assert.deepEqual(Array.from(img.pixels.subarray(o, o + 3)), [10, 200, 30]);
  assert.equal(img.quality.blur, 0);
  assert.equal(img.quality.entropy, 0);
});

test('RGBA PNG: transparent pixels are flattened onto white, opaque ones kept', async () => {
  // Left half transparent black, right half opaque green.
  const w = 16;
  const data = Buffer.alloc(w * w * 4);
  for (let y = 0; y < w; y++) {
    for (let x = w / 2; x < w; x++) {
      const o = (y * w + x) * 4;
      data[o + 1] = 200;
      data[o + 3] = 255;
    }
  }
  const png = await rawRgb(data, w, w, 4).png().toBuffer();
  const img = await decodeImage(png, 16);
  assert.equal(img.hasAlpha, true);
  assert.equal(img.channels, 4);
  assert.deepEqual(Array.from(img.pixels.subarray(0, 3)), [255, 255, 255]);
  const o = (5 * 16 + 14) * 3;
  assert.deepEqual(Array.from(img.pixels.subarray(o, o + 3)), [0, 200, 0]);
});

test('greyscale PNG gives three equal channels and isGrayscale', async () => {
  const grey = Buffer.alloc(20 * 10);
  for (let i = 0; i < grey.length; i++) grey[i] = (i * 37) % 256;
  const png = await rawRgb(grey, 20, 10, 1).toColourspace('b-w').png().toBuffer();
  const img = await decodeImage(png, 12);
  assert.equal(img.channels, 1);
  assert.equal(img.isGrayscale, true);
  assert.equal(img.quality.isGrayscale, true);
  for (let o = 0; o < img.pixels.length; o += 3) {
    assert.equal(img.pixels[o], img.pixels[o + 1]);
    assert.equal(img.pixels[o + 1], img.pixels[o + 2]);
  }
  // A colour image is not grey.
  const colour = await decodeImage(await rawRgb(noise(20, 10), 20, 10).png().toBuffer(), 12);
  assert.equal(colour.isGrayscale, false);
});

test('RGB image whose pixels are all grey counts as greyscale', async () => {
  const data = Buffer.alloc(16 * 16 * 3);
  for (let i = 0; i < 256; i++) data.fill(i, i * 3, i * 3 + 3);
  const jpg = await rawRgb(data, 16, 16).jpeg({ quality: 90 }).toBuffer();
  const img = await decodeImage(jpg, 16);
  assert.equal(img.isGrayscale, true);
});

test('determinism: same bytes → identical pixels and stats', async () => {
  const jpg = await rawRgb(noise(300, 200, 7), 300, 200).jpeg().toBuffer();
  const a = await decodeImage(jpg, 224);
  const b = await decodeImage(Buffer.from(jpg), 224);
  assert.deepEqual(a.pixels, b.pixels);
  assert.deepEqual(a.quality, b.quality);
  assert.equal(a.pixels.length, 224 * 224 * 3);
});

test('qualitySize larger than size still works', async () => {
  const png = await rawRgb(noise(50, 40), 50, 40).png().toBuffer();
  const img = await decodeImage(png, 16, { qualitySize: 32 });
  assert.equal(img.pixels.length, 16 * 16 * 3);
  assert.ok(img.quality.blur > 0);
});

test('bad arguments are RangeErrors, not DecodeErrors', async () => {
  const png = await rawRgb(noise(4, 4), 4, 4).png().toBuffer();
  await assert.rejects(decodeImage(png, 0), RangeError);
  await assert.rejects(decodeImage(png, 2.5), RangeError);
  await assert.rejects(decodeImage(png, 8, { qualitySize: -1 }), RangeError);
});

test('decodeThumbnail: WebP, longest side ≤ maxSide, never enlarged', async () => {
  const jpg = await rawRgb(noise(300, 150), 300, 150).jpeg().toBuffer();
  const thumb = await decodeThumbnail(jpg, 100);
  const meta = await sharp(thumb).metadata();
  assert.equal(meta.format, 'webp');
  assert.equal(meta.width, 100);
  assert.equal(meta.height, 50);
  const small = await sharp(await decodeThumbnail(await rawRgb(noise(10, 10), 10, 10).png().toBuffer(), 100)).metadata();
  assert.equal(small.width, 10);
  await rejectsWith(decodeThumbnail(Buffer.from('hello'), 100), 'not-an-image');
});

/** A smooth, asymmetric w×h RGB scene (gradient, a disc, a bar) whose content is `seed`-dependent. */
function scene(w: number, h: number, seed: number): Buffer {
  const buf = Buffer.alloc(w * h * 3);
  const cx = w * (0.25 + 0.1 * (seed % 3)), cy = h * (0.3 + 0.15 * (seed % 2)), r = Math.min(w, h) * (0.15 + 0.05 * (seed % 4));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 60 + (120 * x) / w + (seed % 5) * 10 * Math.sin((y * seed) / h);
      if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) v = 235;
      if (x > w * 0.6 && y > h * (0.55 + 0.05 * (seed % 3)) && y < h * 0.7) v = 15;
      const o = (y * w + x) * 3;
      buf[o] = v;
      buf[o + 1] = v * 0.85;
      buf[o + 2] = 255 - v * 0.5;
    }
  }
  return buf;
}

test('perceptual hash: deterministic, small for a JPEG re-encode and a resize, large for a different image', async () => {
  const png = await rawRgb(scene(160, 120, 1), 160, 120).png().toBuffer();
  const a = await decodeImage(png, 64);
  assert.match(a.quality.phash!, /^[0-9a-f]{64}$/);
  assert.equal((await decodeImage(Buffer.from(png), 64)).quality.phash, a.quality.phash);
  const jpeg = await sharp(png).jpeg({ quality: 70 }).toBuffer();
  const dJpeg = hammingDistance(a.quality.phash!, (await decodeImage(jpeg, 64)).quality.phash!);
  assert.ok(dJpeg <= 12, `JPEG q70 re-encode: distance ${dJpeg}`);
  const resized = await sharp(png).resize(320, 240).png().toBuffer();
  const dResize = hammingDistance(a.quality.phash!, (await decodeImage(resized, 64)).quality.phash!);
  assert.ok(dResize <= 12, `resized ×2: distance ${dResize}`);
  for (const seed of [2, 3, 4]) {
    const other = await rawRgb(scene(160, 120, seed), 160, 120).png().toBuffer();
    const d = hammingDistance(a.quality.phash!, (await decodeImage(other, 64)).quality.phash!);
    assert.ok(d > 64, `different scene ${seed}: distance ${d}`);
  }
});

test('perceptual hash: the mirror hash matches the decoded mirror image', async () => {
  const png = await rawRgb(scene(160, 120, 1), 160, 120).png().toBuffer();
  const a = await decodeImage(png, 224);
  const m = await decodeImage(await sharp(png).flop().png().toBuffer(), 224);
  // Not exactly 0: libvips resizes the mirrored file with its own rounding.
  assert.ok(hammingDistance(a.quality.phashFlip!, m.quality.phash!) <= 16, `${a.quality.phashFlip} vs ${m.quality.phash}`);
  assert.ok(hammingDistance(a.quality.phash!, m.quality.phash!) > 40, 'the scene is asymmetric');
});
