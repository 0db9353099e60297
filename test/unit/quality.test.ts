import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeQualityStats, hammingDistance, perceptualHash, popcount32, qualityFlags, type QualityStats } from '../../server/engine/dataset/quality';
import { makeRng } from '../../server/engine/types';

const SIDE = 64;

/** side×side RGB image from a per-pixel function returning [r,g,b]. */
function image(fn: (x: number, y: number) => readonly [number, number, number], side = SIDE): Uint8Array {
  const out = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const [r, g, b] = fn(x, y);
      out.set([r, g, b], (y * side + x) * 3);
    }
  }
  return out;
}

function stats(rgb: Uint8Array, original = { width: 640, height: 480 }, side = SIDE): QualityStats {
  return computeQualityStats(rgb, side, side, original);
}

/** A natural-ish colourful image: smooth gradients plus seeded noise and some edges. */
function natural(seed: number): Uint8Array {
  const rng = makeRng(seed);
  const phase = rng() * 10;
  return image((x, y) => {
    const n = rng() * 40;
    const edge = (x + Math.floor(phase)) % 16 < 8 ? 30 : 0;
    return [
      Math.min(255, 60 + x * 1.5 + n + edge),
      Math.min(255, 50 + y * 1.5 + n),
      Math.min(255, 90 + Math.sin(x / 5 + phase) * 40 + n),
    ];
  });
}

function checkerboard(cell: number, offset = 0): Uint8Array {
  return image((x, y) => {
    const v = (Math.floor((x + offset) / cell) + Math.floor(y / cell)) % 2 === 0 ? 30 : 225;
    return [v, v, v];
  });
}

/** Separable box blur of radius r on an RGB side×side image. */
function boxBlur(rgb: Uint8Array, r: number, side = SIDE): Uint8Array {
  let src = Float32Array.from(rgb);
  for (const horizontal of [true, false]) {
    const dst = new Float32Array(src.length);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          let count = 0;
          for (let d = -r; d <= r; d++) {
            const xx = horizontal ? x + d : x;
            const yy = horizontal ? y : y + d;
            if (xx < 0 || yy < 0 || xx >= side || yy >= side) continue;
            sum += src[(yy * side + xx) * 3 + c];
            count++;
          }
          dst[(y * side + x) * 3 + c] = sum / count;
        }
      }
    }
    src = dst;
  }
  return Uint8Array.from(src, (v) => Math.round(v));
}

test('computeQualityStats: black, white, constant and checkerboard images', () => {
  const black = stats(image(() => [0, 0, 0]));
  assert.equal(black.brightness, 0);
  assert.equal(black.darkFraction, 1);
  assert.equal(black.contrast, 0);
  assert.equal(black.blur, 0);
  assert.equal(black.entropy, 0);
  assert.equal(black.isGrayscale, true);
  assert.equal(black.colourfulness, 0);

  const white = stats(image(() => [255, 255, 255]));
  assert.ok(Math.abs(white.brightness - 1) < 1e-9);
  assert.equal(white.brightFraction, 1);

  const board = stats(checkerboard(4));
  assert.ok(Math.abs(board.entropy - 1) < 1e-9, `two equal grey levels = 1 bit, got ${board.entropy}`);
  assert.ok(board.blur > 1000);
  assert.ok(Math.abs(board.contrast - 97.5 / 255) < 1e-6);

  const red = stats(image(() => [255, 0, 0]));
  assert.equal(red.isGrayscale, false);
  assert.ok(red.colourfulness > 50);

  assert.equal(black.aspect, 640 / 480);
  assert.equal(black.width, 640);
});

test('computeQualityStats validates its shape', () => {
  assert.throws(() => computeQualityStats(new Uint8Array(10), 2, 2, { width: 2, height: 2 }), RangeError);
  assert.throws(() => computeQualityStats(new Uint8Array(12), 2, 2, { width: 0, height: 2 }), RangeError);
  assert.throws(() => computeQualityStats(new Uint8Array(0), 0, 0, { width: 1, height: 1 }), RangeError);
});

test('blur: a blurred checkerboard scores far lower than the sharp one', () => {
  const sharpBoard = stats(checkerboard(4));
  const blurred = stats(boxBlur(checkerboard(4), 2));
  assert.ok(blurred.blur < sharpBoard.blur / 4, `${blurred.blur} vs ${sharpBoard.blur}`);
});

function naturalSet(n: number): QualityStats[] {
  return Array.from({ length: n }, (_, i) => stats(natural(i + 1)));
}

test('a typical colour dataset gets no flags', () => {
  const flags = qualityFlags(naturalSet(20));
  assert.deepEqual(flags, Array.from({ length: 20 }, () => []));
});

test('black image in a normal set is dark (and low-information), white is overexposed', () => {
  const set = naturalSet(15);
  set.push(stats(image(() => [0, 0, 0])));
  set.push(stats(image(() => [255, 255, 255])));
  set.push(stats(image((x, y) => [5 + ((x + y) % 7), 5 + ((x * y) % 5), 6]))); // very dim but not blank
  const flags = qualityFlags(set);
  for (let i = 0; i < 15; i++) assert.deepEqual(flags[i], [], `image ${i}`);
  assert.deepEqual(flags[15], ['dark', 'low-information']);
  assert.deepEqual(flags[16], ['overexposed', 'low-information']);
  assert.ok(flags[17].includes('dark'));
});

test('very dark / blank images are flagged even in a tiny dataset', () => {
  assert.deepEqual(qualityFlags([stats(image(() => [0, 0, 0]))]), [['dark', 'low-information']]);
  assert.deepEqual(qualityFlags([stats(image(() => [128, 128, 128]))]), [['low-information']]);
  assert.deepEqual(qualityFlags([stats(natural(3))]), [[]]);
});

test('a constant mid-grey image is low-information, not blurry', () => {
  const set = naturalSet(12);
  set.push(stats(image(() => [120, 120, 120])));
  const flags = qualityFlags(set);
  assert.deepEqual(flags[12], ['low-information']);
});

test('blurred checkerboard among sharp ones is blurry; the sharp ones are not', () => {
  const set: QualityStats[] = [];
  for (let i = 0; i < 12; i++) set.push(stats(checkerboard(4 + (i % 3), i)));
  set.push(stats(boxBlur(checkerboard(4), 2)));
  const flags = qualityFlags(set);
  for (let i = 0; i < 12; i++) assert.deepEqual(flags[i], [], `sharp ${i}`);
  assert.ok(flags[12].includes('blurry'), `got ${flags[12]}`);
});

test('odd size and odd aspect relative to the dataset', () => {
  const set = naturalSet(12).map((s) => ({ ...s, width: 640, height: 480, aspect: 640 / 480 }));
  set.push({ ...set[0], width: 64, height: 48, aspect: 64 / 48 }); // 100× fewer pixels
  set.push({ ...set[1], width: 480, height: 640, aspect: 480 / 640 }); // portrait
  set.push({ ...set[2], width: 600, height: 450, aspect: 600 / 450 }); // slightly smaller: fine
  const flags = qualityFlags(set);
  assert.deepEqual(flags[12], ['odd-size']);
  assert.deepEqual(flags[13], ['odd-aspect']);
  assert.deepEqual(flags[14], []);
});

test('grayscale is flagged only in a mostly-colour dataset', () => {
  const grey = (seed: number): QualityStats => {
    const rng = makeRng(seed);
    return stats(image((x, y) => {
      const v = Math.min(255, 40 + x * 2 + y + rng() * 30);
      return [v, v, v];
    }));
  };
  const mostlyColour = naturalSet(18);
  mostlyColour.push(grey(1));
  const flags = qualityFlags(mostlyColour);
  assert.deepEqual(flags[18], ['grayscale']);
  assert.ok(flags.slice(0, 18).every((f) => f.length === 0));

  // Fashion-MNIST-like: every image greyscale, dark background, one bright garment → nothing flagged wholesale.
  const fashion: QualityStats[] = [];
  for (let i = 0; i < 30; i++) {
    const rng = makeRng(100 + i);
    const r0 = 8 + (i % 5) * 2;
    fashion.push(stats(image((x, y) => {
      const inside = Math.abs(x - 32) < r0 + 6 && Math.abs(y - 32) < r0 + 10;
      const v = inside ? Math.min(255, 120 + rng() * 100) : 0;
      return [v, v, v];
    }), { width: 28, height: 28 }));
  }
  const fashionFlags = qualityFlags(fashion);
  assert.ok(fashionFlags.every((f) => !f.includes('grayscale')), 'no grayscale flags in an all-grey set');
  assert.ok(fashionFlags.every((f) => !f.includes('dark')), 'dark-background datasets are not all dark');
  assert.ok(fashionFlags.every((f) => f.length === 0), JSON.stringify(fashionFlags));
});

test('qualityFlags: empty input, options validated and applied', () => {
  assert.deepEqual(qualityFlags([]), []);
  assert.throws(() => qualityFlags([], { zScroe: 3 } as never), /unknown option 'zScroe'; valid options: .*zScore/);
  assert.throws(() => qualityFlags([], { zScore: Number.NaN }), RangeError);
  // A two-level image (1 bit) is near-constant under a custom 1.5-bit threshold, not under the default 0.5.
  const twoLevel = stats(image((x) => [100 + (x % 2) * 20, 100, 100]));
  assert.deepEqual(qualityFlags([twoLevel]), [[]]);
  assert.deepEqual(qualityFlags([twoLevel], { nearConstantEntropy: 1.5 }), [['low-information']]);
});

test('flags are deterministic and order-preserving', () => {
  const set = naturalSet(10);
  set.push(stats(image(() => [0, 0, 0])));
  const a = qualityFlags(set);
  const b = qualityFlags(set.slice());
  assert.deepEqual(a, b);
  const reversed = qualityFlags(set.slice().reverse());
  assert.deepEqual(reversed.slice().reverse(), a);
});

// ---------------------------------------------------------------------------------------------
// Perceptual hash
// ---------------------------------------------------------------------------------------------

/** Mirror an RGB side×side image left–right. */
function mirror(rgb: Uint8Array, side = SIDE): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) out.set(rgb.subarray((y * side + x) * 3, (y * side + x) * 3 + 3), (y * side + (side - 1 - x)) * 3);
  }
  return out;
}

/** An asymmetric scene: a bright disc left of centre and a dark bar at the bottom right on a gradient. */
function scene(cx: number, cy: number, r: number): Uint8Array {
  return image((x, y) => {
    let v = 80 + x;
    if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) v = 230;
    if (x > 40 && y > 48 && y < 56) v = 10;
    return [v, v * 0.9, v * 0.8];
  });
}

test('popcount32 and hammingDistance', () => {
  assert.equal(popcount32(0), 0);
  assert.equal(popcount32(0xffffffff), 32);
  assert.equal(popcount32(0x80000001), 2);
  assert.equal(hammingDistance('0000000000000000', 'ffffffffffffffff'), 64);
  assert.equal(hammingDistance('f0f0000000000001', 'f0f0000000000000'), 1);
  assert.equal(hammingDistance('ABCDEF0123456789', 'abcdef0123456789'), 0);
  assert.throws(() => hammingDistance('00', '0000'), RangeError);
  assert.throws(() => hammingDistance('zzzzzzzzzzzzzzzz', '0000000000000000'), RangeError);
});

test('perceptualHash: 16 hex digits, deterministic, and part of computeQualityStats', () => {
  const img = scene(20, 24, 10);
  const h = perceptualHash(img, SIDE, SIDE);
  assert.match(h.phash, /^[0-9a-f]{64}$/);
  assert.match(h.phashFlip, /^[0-9a-f]{64}$/);
  assert.deepEqual(perceptualHash(Uint8Array.from(img), SIDE, SIDE), h);
  const s = stats(img);
  assert.equal(s.phash, h.phash);
  assert.equal(s.phashFlip, h.phashFlip);
  // 127 AC bits above the median of 255, plus the DC bit.
  const ones = [...BigInt('0x' + h.phash).toString(2)].filter((c) => c === '1').length;
  assert.equal(ones, 128);
  assert.throws(() => perceptualHash(new Uint8Array(5), 2, 2), RangeError);
});

test('perceptualHash: the mirror hash equals the hash of the mirrored image', () => {
  for (const img of [scene(20, 24, 10), natural(5), checkerboard(8, 3)]) {
    const h = perceptualHash(img, SIDE, SIDE);
    const m = perceptualHash(mirror(img), SIDE, SIDE);
    assert.equal(hammingDistance(h.phashFlip, m.phash), 0);
    assert.equal(hammingDistance(m.phashFlip, h.phash), 0);
  }
  // An asymmetric image is far from its own mirror image.
  const h = perceptualHash(scene(20, 24, 10), SIDE, SIDE);
  assert.ok(hammingDistance(h.phash, h.phashFlip) > 40, `${h.phash} vs ${h.phashFlip}`);
});

test('perceptualHash: small edits stay close, different images are far', () => {
  const base = perceptualHash(scene(20, 24, 10), SIDE, SIDE).phash;
  const rng = makeRng(3);
  const noisy = scene(20, 24, 10).map((v) => Math.max(0, Math.min(255, v + Math.round((rng() - 0.5) * 20))));
  assert.ok(hammingDistance(base, perceptualHash(noisy, SIDE, SIDE).phash) <= 24);
  const brighter = scene(20, 24, 10).map((v) => Math.min(255, Math.round(v * 1.1)));
  assert.ok(hammingDistance(base, perceptualHash(brighter, SIDE, SIDE).phash) <= 8);
  const blurred = boxBlur(scene(20, 24, 10), 1);
  assert.ok(hammingDistance(base, perceptualHash(blurred, SIDE, SIDE).phash) <= 24);
  for (const other of [scene(44, 40, 14), natural(2), checkerboard(4)]) {
    const d = hammingDistance(base, perceptualHash(other, SIDE, SIDE).phash);
    assert.ok(d > 64, `distance ${d}`);
  }
});

test('perceptualHash: a flat image hashes without NaN noise (only the DC bit set)', () => {
  assert.equal(perceptualHash(image(() => [128, 128, 128]), SIDE, SIDE).phash, '8' + '0'.repeat(63));
  assert.equal(perceptualHash(image(() => [0, 0, 0]), SIDE, SIDE).phash, '0'.repeat(64));
});
