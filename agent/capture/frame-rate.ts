/** `--fps`: a fixed cap, or `auto` (the default): chosen from the captured screen's size. */
export type FrameRate = number | 'auto';

/**
 * The pixel rate `auto` allows: 1280x720 at 60 frames a second. A change on a screen that is already
 * changing waits for the next frame slot, on average half an interval (8 ms at 60 fps, 17 ms at 30);
 * the VP8 encode and the capture cost about the same per pixel, so a pixel budget keeps the agent's
 * CPU near what 720p at 60 costs (≈ half a core, docs/performance.md) at any size.
 */
export const AUTO_PIXEL_RATE = 1280 * 720 * 60;

/**
 * The frame rate cap for a screen of this size: `fps` itself when fixed; for `auto`, 30 to 60 by the pixel
 * budget, and never over what the capturer says `auto` may ask of it (`ScreenCapturer.autoMaxFps`).
 */
export function frameRateFor(fps: FrameRate, width: number, height: number, autoMax = 60): number {
  if (fps !== 'auto') return fps;
  const cap = Math.max(30, Math.min(60, autoMax));
  return Math.max(30, Math.min(cap, Math.floor(AUTO_PIXEL_RATE / Math.max(1, width * height))));
}
