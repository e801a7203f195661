// BGRX -> I420 conversion of one rectangle, and the cursor blended into an I420 frame.
// BT.601 limited range with the integer formula of libyuv's ARGBToI420 (the same as
// agent/capture/bgrx-to-i420.ts), so every capturer gives the same colours.
#pragma once
#include <cstdint>

namespace rr {

inline uint8_t lumaOf(int r, int g, int b) { return static_cast<uint8_t>(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16); }
inline uint8_t cbOf(int r, int g, int b) { return static_cast<uint8_t>(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128); }
inline uint8_t crOf(int r, int g, int b) { return static_cast<uint8_t>(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128); }

// Converts the rw x rh BGRX pixels at `src` (row stride `stride` bytes) into the I420 frame
// `yuv` (W x H, both even) at (rx, ry). rx, ry, rw and rh are even.
inline void bgrxRectToI420(const uint8_t* src, int stride, int rw, int rh, uint8_t* yuv, int W, int H, int rx, int ry) {
  uint8_t* yPlane = yuv;
  uint8_t* uPlane = yuv + W * H;
  uint8_t* vPlane = uPlane + (W / 2) * (H / 2);
  for (int j = 0; j < rh; j += 2) {
    const uint8_t* s0 = src + static_cast<long>(j) * stride;
    const uint8_t* s1 = s0 + stride;
    uint8_t* y0 = yPlane + static_cast<long>(ry + j) * W + rx;
    uint8_t* y1 = y0 + W;
    uint8_t* u = uPlane + static_cast<long>((ry + j) / 2) * (W / 2) + rx / 2;
    uint8_t* v = vPlane + static_cast<long>((ry + j) / 2) * (W / 2) + rx / 2;
    for (int i = 0; i < rw; i += 2) {
      const uint8_t* a = s0 + i * 4;
      const uint8_t* b = s1 + i * 4;
      const int ab = a[0], ag = a[1], ar = a[2];
      const int bb = a[4], bg = a[5], br = a[6];
      const int db = b[0], dg = b[1], dr = b[2];
      const int eb = b[4], eg = b[5], er = b[6];
      y0[i] = lumaOf(ar, ag, ab);
      y0[i + 1] = lumaOf(br, bg, bb);
      y1[i] = lumaOf(dr, dg, db);
      y1[i + 1] = lumaOf(er, eg, eb);
      const int r = (ar + br + dr + er + 2) >> 2;
      const int g = (ag + bg + dg + eg + 2) >> 2;
      const int bl = (ab + bb + db + eb + 2) >> 2;
      u[i / 2] = cbOf(r, g, bl);
      v[i / 2] = crOf(r, g, bl);
    }
  }
}

inline int clamp255(int v) { return v > 255 ? 255 : v; }

// Blends a cursor image (premultiplied ARGB, as XFixes gives it) with its top-left
// corner at (cx, cy) into the I420 frame. Chroma is blended per 2x2 block.
inline void blendCursor(const uint32_t* pixels, int cw, int ch, int cx, int cy, uint8_t* yuv, int W, int H) {
  uint8_t* yPlane = yuv;
  uint8_t* uPlane = yuv + W * H;
  uint8_t* vPlane = uPlane + (W / 2) * (H / 2);
  for (int py = 0; py < ch; py++) {
    const int fy = cy + py;
    if (fy < 0 || fy >= H) continue;
    for (int px = 0; px < cw; px++) {
      const int fx = cx + px;
      if (fx < 0 || fx >= W) continue;
      const uint32_t p = pixels[py * cw + px];
      const int alpha = static_cast<int>(p >> 24);
      if (alpha == 0) continue;
      // Un-premultiply to get the colour, then mix it over the frame with `alpha`.
      const int r = clamp255(((((p >> 16) & 0xff) * 255) + alpha / 2) / alpha);
      const int g = clamp255(((((p >> 8) & 0xff) * 255) + alpha / 2) / alpha);
      const int b = clamp255((((p & 0xff) * 255) + alpha / 2) / alpha);
      uint8_t* y = yPlane + static_cast<long>(fy) * W + fx;
      *y = static_cast<uint8_t>((*y * (255 - alpha) + lumaOf(r, g, b) * alpha + 127) / 255);
      const long c = static_cast<long>(fy / 2) * (W / 2) + fx / 2;
      const int quarter = alpha / 4;
      uPlane[c] = static_cast<uint8_t>((uPlane[c] * (255 - quarter) + cbOf(r, g, b) * quarter + 127) / 255);
      vPlane[c] = static_cast<uint8_t>((vPlane[c] * (255 - quarter) + crOf(r, g, b) * quarter + 127) / 255);
    }
  }
}

}  // namespace rr
