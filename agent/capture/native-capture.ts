import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the native addon (agent/capture/native/x11-damage-capture.cc) exports. */
export interface NativeCaptureModule {
  /** Starts a capture thread; `onFrame` gets each I420 frame in its own buffer, with its age in ms. Throws CAPTURE_FAILED. */
  start(
    display: string,
    x: number,
    y: number,
    width: number,
    height: number,
    minIntervalMs: number,
    keepAliveMs: number,
    drawCursor: boolean,
    onFrame: (frame: ArrayBuffer, width: number, height: number, ageMs: number) => void,
  ): NativeCaptureHandle;
  stop(handle: NativeCaptureHandle): void;
  stats(handle: NativeCaptureHandle): NativeCaptureStats;
}

declare const handleBrand: unique symbol;
export type NativeCaptureHandle = { readonly [handleBrand]: true };

export interface NativeCaptureStats {
  /** Rectangles read from the X server. */
  grabs: number;
  /** Frames put in the mailbox. */
  frames: number;
  /** Frames replaced in the mailbox by a newer one before JavaScript took them (stale, never queued). */
  replaced: number;
  /** Frames JavaScript took. */
  taken: number;
  /** Pixels read from the X server in all. */
  grabbedPixels: number;
  failed: boolean;
  error: string;
}

export const NATIVE_CAPTURE_FILE = 'rr_x11_capture.node';

/** Where the addon can be: built in the source tree (`npm run build:native`), or beside the agent bundle. */
function candidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, 'native', 'build', 'Release', NATIVE_CAPTURE_FILE), join(here, NATIVE_CAPTURE_FILE)];
}

let cached: { module: NativeCaptureModule | null; reason: string } | null = null;

/**
 * Loads the damage-driven capture addon, or returns null with the reason (not
 * built, not Linux, a library missing): the agent then falls back to ffmpeg
 * x11grab or the pure-JS capturer. `path` names the file explicitly (a single
 * executable writes its asset somewhere and passes it here).
 */
export function loadNativeCapture(path?: string): { module: NativeCaptureModule | null; reason: string } {
  if (path === undefined && cached) return cached;
  let result: { module: NativeCaptureModule | null; reason: string };
  if (process.platform !== 'linux') {
    result = { module: null, reason: `not on ${process.platform}` };
  } else {
    const file = path ?? candidates().find((p) => existsSync(p));
    if (!file) {
      result = { module: null, reason: 'not built (npm run build:native)' };
    } else {
      try {
        result = { module: createRequire(import.meta.url)(file) as NativeCaptureModule, reason: '' };
      } catch (err) {
        result = { module: null, reason: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
      }
    }
  }
  if (path === undefined) cached = result;
  return result;
}
