/**
 * Converts one BGRX frame (X11's 32-bit little-endian TrueColor, as GetImage
 * and x11grab return it) straight to I420 in one pass, with BT.601 limited-range
 * coefficients (the same integer formula libyuv's ARGBToI420 uses). Doing it in
 * one pass avoids the BGRX→RGBA byte swap plus `rgbaToI420` (two passes).
 * Odd widths and heights are rounded down to even: I420 needs 2x2 blocks.
 */
export function i420Size(width: number, height: number): number {
  return width * height + 2 * ((width >> 1) * (height >> 1));
}

export function bgrxToI420(
  src: Uint8Array,
  srcStride: number,
  width: number,
  height: number,
  dst: Uint8Array | Uint8ClampedArray = new Uint8Array(i420Size(width, height)),
): Uint8Array | Uint8ClampedArray {
  const w = width & ~1;
  const h = height & ~1;
  const cw = w >> 1;
  const uBase = width * height;
  const vBase = uBase + cw * (h >> 1);
  if ((src.byteOffset & 3) !== 0) src = src.slice();
  const px = new Uint32Array(src.buffer, src.byteOffset, src.byteLength >> 2);
  const rowPx = srcStride >> 2;
  for (let y = 0; y < h; y += 2) {
    let i0 = y * rowPx;
    let i1 = i0 + rowPx;
    let y0 = y * width;
    let y1 = y0 + width;
    let c = uBase + (y >> 1) * cw;
    let cv = vBase + (y >> 1) * cw;
    for (let x = 0; x < w; x += 2) {
      const a = px[i0]!;
      const b = px[i0 + 1]!;
      const d = px[i1]!;
      const e = px[i1 + 1]!;
      const ab = a & 0xff, ag = (a >> 8) & 0xff, ar = (a >> 16) & 0xff;
      const bb = b & 0xff, bg = (b >> 8) & 0xff, br = (b >> 16) & 0xff;
      const db = d & 0xff, dg = (d >> 8) & 0xff, dr = (d >> 16) & 0xff;
      const eb = e & 0xff, eg = (e >> 8) & 0xff, er = (e >> 16) & 0xff;
      dst[y0] = ((66 * ar + 129 * ag + 25 * ab + 128) >> 8) + 16;
      dst[y0 + 1] = ((66 * br + 129 * bg + 25 * bb + 128) >> 8) + 16;
      dst[y1] = ((66 * dr + 129 * dg + 25 * db + 128) >> 8) + 16;
      dst[y1 + 1] = ((66 * er + 129 * eg + 25 * eb + 128) >> 8) + 16;
      const r = (ar + br + dr + er + 2) >> 2;
      const g = (ag + bg + dg + eg + 2) >> 2;
      const bl = (ab + bb + db + eb + 2) >> 2;
      dst[c++] = ((-38 * r - 74 * g + 112 * bl + 128) >> 8) + 128;
      dst[cv++] = ((112 * r - 94 * g - 18 * bl + 128) >> 8) + 128;
      i0 += 2;
      i1 += 2;
      y0 += 2;
      y1 += 2;
    }
  }
  return dst;
}
