import { FfmpegCapturer, ffmpegHasX11grab } from './capturer-ffmpeg.ts';
import { DamageCapturer } from './capturer-x11-damage.ts';
import { X11Capturer } from './capturer-x11.ts';
import type { ScreenCapturer } from '../screen-capturer.ts';
import { loadNativeCapture } from './native-capture.ts';

export type CaptureMethod = 'auto' | 'native' | 'ffmpeg' | 'x11';
export const CAPTURE_METHODS: readonly CaptureMethod[] = ['auto', 'native', 'ffmpeg', 'x11'];

/**
 * Picks the X11 capturer. `auto` prefers the damage-driven native addon, then
 * ffmpeg x11grab when installed, then the pure-JS X client.
 */
export function createScreenCapturer(display: string, method: CaptureMethod = 'auto'): ScreenCapturer {
  if (method === 'x11') return new X11Capturer(display);
  if (method === 'native' || method === 'auto') {
    const native = loadNativeCapture();
    if (native.module) return new DamageCapturer(native.module, display);
    if (method === 'native') throw new Error(`The native capture addon is not available: ${native.reason}`);
  }
  if (method === 'ffmpeg' || ffmpegHasX11grab()) return new FfmpegCapturer(display);
  return new X11Capturer(display);
}
