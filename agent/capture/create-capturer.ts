import { FfmpegCapturer, ffmpegHasX11grab } from './capturer-ffmpeg.ts';
import { X11Capturer } from './capturer-x11.ts';
import type { ScreenCapturer } from './screen-capturer.ts';

export type CaptureMethod = 'auto' | 'ffmpeg' | 'x11';

/**
 * Picks the screen capturer for this platform. Linux/X11 only for now; a
 * Windows or macOS build adds its implementation here.
 */
export function createScreenCapturer(display: string, method: CaptureMethod = 'auto', platform = process.platform): ScreenCapturer {
  if (platform !== 'linux') throw new Error(`Screen capture is not implemented on ${platform} yet (Linux/X11 only).`);
  if (method === 'x11') return new X11Capturer(display);
  if (method === 'ffmpeg' || ffmpegHasX11grab()) return new FfmpegCapturer(display);
  return new X11Capturer(display);
}
