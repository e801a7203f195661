import { FfmpegCapturer, ffmpegHasX11grab } from './capturer-ffmpeg.ts';
import { DamageCapturer } from './capturer-x11-damage.ts';
import { X11Capturer } from './capturer-x11.ts';
import { loadNativeCapture } from './native-capture.ts';
import type { ScreenCapturer } from './screen-capturer.ts';

export type CaptureMethod = 'auto' | 'native' | 'ffmpeg' | 'x11';
export const CAPTURE_METHODS: readonly CaptureMethod[] = ['auto', 'native', 'ffmpeg', 'x11'];

/**
 * Picks the screen capturer for this platform. Linux/X11 only for now; a
 * Windows or macOS build adds its implementation here. `auto` prefers the
 * damage-driven native addon, then ffmpeg x11grab, then the pure-JS client.
 */
export function createScreenCapturer(display: string, method: CaptureMethod = 'auto', platform = process.platform): ScreenCapturer {
  if (platform !== 'linux') throw new Error(`Screen capture is not implemented on ${platform} yet (Linux/X11 only).`);
  if (method === 'x11') return new X11Capturer(display);
  if (method === 'native' || method === 'auto') {
    const native = loadNativeCapture();
    if (native.module) return new DamageCapturer(native.module, display);
    if (method === 'native') throw new Error(`The native capture addon is not available: ${native.reason}`);
  }
  if (method === 'ffmpeg' || ffmpegHasX11grab()) return new FfmpegCapturer(display);
  return new X11Capturer(display);
}
