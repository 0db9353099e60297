/**
 * Area-average resampling ("box filter"): the taps `decode.ts` uses to shrink its quality thumbnail and the
 * greyscale resize the perceptual hash runs on.
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
