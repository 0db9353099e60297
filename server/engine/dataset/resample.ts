/**
 * Area-average resampling ("box filter"): the RGB resize `decode.ts` uses to shrink its quality thumbnail and the
 * greyscale resize the perceptual hash runs on, both over the same taps.
 */

/** Area-average resize of a single-channel w×h image to dw×dh (nearest-neighbour when enlarging). */
export function areaResizeGrey(src: Float32Array, w: number, h: number, dw: number, dh: number): Float64Array {
  const tx = areaTaps(w, dw);
  const ty = areaTaps(h, dh);
  const tmp = new Float64Array(h * dw);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < dw; x++) {
      let s = 0;
      for (const [i, wt] of tx[x]) s += wt * src[y * w + i];
      tmp[y * dw + x] = s;
    }
  }
  const out = new Float64Array(dh * dw);
  for (let y = 0; y < dh; y++) {
    for (const [i, wt] of ty[y]) for (let x = 0; x < dw; x++) out[y * dw + x] += wt * tmp[i * dw + x];
  }
  return out;
}

/** For each destination index, the source indices it covers and their weights (summing to 1). */
export function areaTaps(srcLen: number, dstLen: number): [number, number][][] {
  const scale = srcLen / dstLen;
  const taps: [number, number][][] = [];
  for (let d = 0; d < dstLen; d++) {
    const lo = d * scale;
    const hi = lo + scale;
    const list: [number, number][] = [];
    for (let s = Math.floor(lo); s < Math.min(srcLen, Math.ceil(hi)); s++) {
      const wt = (Math.min(hi, s + 1) - Math.max(lo, s)) / scale;
      if (wt > 0) list.push([s, wt]);
    }
    taps.push(list);
  }
  return taps;
}

/**
 * Area-average resize of a square RGB image (src side×side×3 → dst side×side×3), separable, exact
 * fractional coverage. Upscaling (dst > src) degenerates to nearest-neighbour, which is fine for the
 * rare qualitySize > size case since the source was already upscaled by libvips.
 */
export function areaResizeRgb(src: Uint8Array, srcSide: number, dstSide: number): Uint8Array {
  const taps = areaTaps(srcSide, dstSide);
  // Horizontal pass: srcSide rows × dstSide columns.
  const tmp = new Float32Array(srcSide * dstSide * 3);
  for (let y = 0; y < srcSide; y++) {
    const rowIn = y * srcSide * 3;
    const rowOut = y * dstSide * 3;
    for (let x = 0; x < dstSide; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [i, w] of taps[x]) {
        const o = rowIn + i * 3;
        r += w * src[o];
        g += w * src[o + 1];
        b += w * src[o + 2];
      }
      const o = rowOut + x * 3;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  // Vertical pass.
  const out = new Uint8Array(dstSide * dstSide * 3);
  const rowLen = dstSide * 3;
  const acc = new Float32Array(rowLen);
  for (let y = 0; y < dstSide; y++) {
    acc.fill(0);
    for (const [i, w] of taps[y]) {
      const rowIn = i * rowLen;
      for (let k = 0; k < rowLen; k++) acc[k] += w * tmp[rowIn + k];
    }
    const rowOut = y * rowLen;
    for (let k = 0; k < rowLen; k++) out[rowOut + k] = Math.min(255, Math.max(0, Math.round(acc[k])));
  }
  return out;
}
