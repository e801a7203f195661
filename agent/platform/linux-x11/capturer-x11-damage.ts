import type { Screen } from '../../../protocol/index.ts';
import { evenSize, type CaptureOptions, type I420Frame } from '../screen-capturer.ts';
import { X11CapturerBase } from './capturer-base.ts';
import type { NativeCaptureHandle, NativeCaptureModule, NativeCaptureStats } from './native-capture.ts';

/**
 * Linux/X11 capture driven by the screen's own changes: the native addon
 * (agent/platform/linux-x11/native/) waits for XDamage notifications, grabs only the
 * damaged rectangle with MIT-SHM and converts it to I420 on a thread of its
 * own; the newest frame waits in a one-frame mailbox, so a frame JavaScript
 * has not taken yet is replaced, never queued. Nothing runs on a clock while
 * the screen is still: the last frame is repeated (without reading the
 * screen) 0.25, 0.5, 1 and 2 s after the last change, so a receiver that
 * lost the change's last packets asks again at once, and then only when
 * asked (`refresh()`: a key frame request or a new peer connection,
 * agent/capture/keyframe-requests.ts), or once per `keepAliveMs` when that is
 * above 0. Each repeat 3 s or more after the last frame is a key frame (the
 * browser asks for one) and costs ~20 ms of libwebrtc's threads at 1080p:
 * docs/performance.md "Still screen". Chosen over ffmpeg x11grab by measurement.
 */
export class DamageCapturer extends X11CapturerBase {
  readonly method = 'x11-damage-shm';
  private handle: NativeCaptureHandle | null = null;

  constructor(
    private readonly native: NativeCaptureModule,
    display: string,
    keepAliveMs = 0,
  ) {
    super(display, keepAliveMs);
  }

  async start(screen: Screen, options: CaptureOptions, onFrame: (frame: I420Frame) => void): Promise<void> {
    await this.stop();
    const { width, height } = evenSize(screen.width, screen.height);
    const fps = Math.max(1, Math.min(240, options.fps));
    let first: () => void = () => undefined;
    const firstFrame = new Promise<void>((resolve) => (first = resolve));
    this.handle = this.native.start(this.display, screen.x, screen.y, width, height, 1000 / fps, this.keepAliveMs, true, (buffer, w, h, ageMs) => {
      this.counters.captured++;
      this.counters.delivered++;
      first();
      onFrame({ width: w, height: h, data: new Uint8ClampedArray(buffer), at: performance.now() - ageMs });
    });
    // The first frame (the whole screen) follows at once; wait for it like the other capturers do.
    await Promise.race([firstFrame, new Promise((r) => setTimeout(r, 2000))]);
  }

  async stop(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle) this.native.stop(handle);
  }

  refresh(): void {
    if (this.handle) this.native.refresh(this.handle);
  }

  /** The addon's own counters (grabs, replaced frames) while capturing. */
  nativeStats(): NativeCaptureStats | null {
    return this.handle ? this.native.stats(this.handle) : null;
  }
}
