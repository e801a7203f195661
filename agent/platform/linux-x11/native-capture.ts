import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { getRawAsset, isSea } from 'node:sea';
import { loadAddon } from '../../sea/addon-loader.ts';
import { addonAssetKey } from '../../sea/asset-names.ts';

/** What the native addon (agent/platform/linux-x11/native/x11-damage-capture.cc) exports. */
export interface NativeCaptureModule {
  /**
   * Starts a capture thread; `onFrame` gets each I420 frame in its own buffer, with its age in ms. An unchanged
   * screen's frame is repeated 0.25, 0.5, 1 and 2 s after a change, then once per `keepAliveMs` (0: never;
   * `refresh` asks for one). Throws CAPTURE_FAILED.
   */
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
  /** The current picture again as soon as the frame interval allows (no screen read); nothing once stopped. */
  refresh(handle: NativeCaptureHandle): void;
  stats(handle: NativeCaptureHandle): NativeCaptureStats;
  /**
   * Calls libwebrtc's `webrtc::field_trial::InitFieldTrialsFromString` in the loaded @roamhq/wrtc addon, found by
   * name in its ELF symbol table (native/webrtc-field-trials.cc): '' when done, else why not. libwebrtc reads the
   * trials when it creates each stream, so set them before the first peer connection.
   */
  setWebrtcFieldTrials(trials: string): string;
  /** libwebrtc's own field-trial string now (its `GetFieldTrialString`), '' when none or not found. */
  webrtcFieldTrials(): string;
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
  /** Frames repeated because the screen stayed still (no screen read). */
  repeats: number;
  /** Pointer position queries (each a round trip to the X server). */
  pointerQueries: number;
  /** True when XInput 2 raw motion wakes the capture thread (the pointer is read when it moves, else once a second). */
  rawMotion: boolean;
  /** Frames sent again because JavaScript asked (refresh()). */
  refreshes: number;
  /** The wait before the next repeat: 250 ms after a change, doubling up to 2 s, then the keep-alive interval (-1: none). */
  repeatMs: number;
  failed: boolean;
  error: string;
}

export const NATIVE_CAPTURE_FILE = 'rr_x11_capture.node';
/** Its asset name in the single-file applet (scripts/applet-targets.ts). */
export const NATIVE_CAPTURE_ASSET = 'rr_x11_capture';

/** Where the addon can be: built in the source tree (`npm run build:native`), or beside the agent bundle. */
function candidates(): string[] {
  const here = import.meta.dirname;
  return [join(here, 'native', 'build', 'Release', NATIVE_CAPTURE_FILE), join(here, NATIVE_CAPTURE_FILE)];
}

let cached: { module: NativeCaptureModule | null; reason: string } | null = null;

/** The addon as an asset of the single-file applet, when the applet was built with it. */
function fromApplet(): { module: NativeCaptureModule | null; reason: string } {
  try {
    getRawAsset(addonAssetKey(NATIVE_CAPTURE_ASSET));
  } catch {
    return { module: null, reason: 'not in this applet (it was built without `npm run build:native`)' };
  }
  try {
    return { module: loadAddon(NATIVE_CAPTURE_ASSET) as NativeCaptureModule, reason: '' };
  } catch (err) {
    return { module: null, reason: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
  }
}

/**
 * Loads the damage-driven capture addon, or returns null with the reason (not
 * built, not Linux, a library missing): the agent then falls back to ffmpeg
 * x11grab or the pure-JS capturer. In the single-file applet it is an asset
 * (agent/sea/addon-loader.ts); in a checkout or the tarball agent a file.
 * `path` names the file explicitly.
 */
export function loadNativeCapture(path?: string): { module: NativeCaptureModule | null; reason: string } {
  if (path === undefined && cached) return cached;
  let result: { module: NativeCaptureModule | null; reason: string };
  if (process.platform !== 'linux') {
    result = { module: null, reason: `not on ${process.platform}` };
  } else if (path === undefined && isSea()) {
    result = fromApplet();
  } else {
    const file = path ?? candidates().find((p) => existsSync(p));
    if (!file) {
      result = { module: null, reason: 'not built (npm run build:native)' };
    } else {
      try {
        result = { module: createRequire(join(import.meta.dirname, 'native-capture.js'))(file) as NativeCaptureModule, reason: '' };
      } catch (err) {
        result = { module: null, reason: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
      }
    }
  }
  if (path === undefined) cached = result;
  return result;
}
