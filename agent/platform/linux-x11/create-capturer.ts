import { FfmpegCapturer, ffmpegHasX11grab } from './capturer-ffmpeg.ts';
import { X11Capturer } from './capturer-x11.ts';
import type { ScreenCapturer } from '../screen-capturer.ts';

export type CaptureMethod = 'auto' | 'ffmpeg' | 'x11';

/** Picks the X11 capturer: ffmpeg x11grab when installed (or asked for), else the pure-JS X client. */
export function createScreenCapturer(display: string, method: CaptureMethod = 'auto'): ScreenCapturer {
  if (method === 'x11') return new X11Capturer(display);
  if (method === 'ffmpeg' || ffmpegHasX11grab()) return new FfmpegCapturer(display);
  return new X11Capturer(display);
}
