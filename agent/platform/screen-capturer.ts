import type { Screen } from '../../protocol/index.ts';

/** One captured frame in I420 (planar Y, then U and V at half resolution), in its own exactly sized buffer. */
export interface I420Frame {
  width: number;
  height: number;
  data: Uint8ClampedArray;
  /** Capture time, performance.now() milliseconds. */
  at: number;
}

export interface CaptureOptions {
  /** Frames per second to aim for. */
  fps: number;
}

export interface CaptureStats {
  /** Frames read from the screen. */
  captured: number;
  /** Frames identical to the previous one, not passed on (idle screen). */
  unchanged: number;
  /** Frames passed to onFrame. */
  delivered: number;
}

/**
 * Captures one screen (monitor) of the customer's desktop. Each platform
 * folder (`agent/platform/<os>/`) has its implementations; a Windows (DXGI
 * desktop duplication) or macOS (ScreenCaptureKit) one implements the same
 * methods. Frames arrive already in I420 so the WebRTC source needs no
 * further conversion.
 */
export interface ScreenCapturer {
  /** A short name for logs and the benchmark (e.g. "ffmpeg-x11grab"). */
  readonly method: string;
  /**
   * The highest rate `--fps auto` asks of this capturer (default 60, agent/capture/frame-rate.ts). A capturer
   * without damage events (GDI, x11grab, the pure-JS grab) pays a whole-screen grab per frame whether or not
   * anything changed, so it says 30: 60 would double its cost on a still screen.
   */
  readonly autoMaxFps?: number;
  listScreens(): Promise<Screen[]>;
  /** Starts capturing `screen`; a running capture is stopped first. */
  start(screen: Screen, options: CaptureOptions, onFrame: (frame: I420Frame) => void): Promise<void>;
  stop(): Promise<void>;
  stats(): CaptureStats;
  /**
   * Sends the current picture again at once (no new screen read where the capturer can avoid one): for a
   * receiver that asked for a key frame, or a new peer connection, while the screen is still. A capturer that
   * repeats its frames on a clock anyway (GDI, x11grab, the pure-JS grab) need not have it.
   */
  refresh?(): void;
}

/** A frame size I420 can hold: both sides even. */
export function evenSize(width: number, height: number): { width: number; height: number } {
  return { width: Math.max(2, width & ~1), height: Math.max(2, height & ~1) };
}

export function i420Bytes(width: number, height: number): number {
  return width * height + 2 * ((width >> 1) * (height >> 1));
}
