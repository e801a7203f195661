import type { Screen } from '../../../protocol/index.ts';
import { openDisplay, type XConnection } from './display.ts';
import { bgrxToI420 } from './bgrx-to-i420.ts';
import { X11CapturerBase } from './capturer-base.ts';
import { evenSize, i420Bytes, type CaptureOptions, type I420Frame } from '../screen-capturer.ts';

/**
 * Linux/X11 capture with the pure-JS `x11` client: core GetImage (ZPixmap,
 * BGRX) and a one-pass BGRX→I420 conversion in JS. Needs nothing but the X
 * server, so it is the fallback when ffmpeg is missing; it is slower and runs
 * on the agent's event loop (see docs/decisions-agent.md for the figures).
 */
export class X11Capturer extends X11CapturerBase {
  readonly autoMaxFps = 30;
  readonly method = 'x11-getimage';
  private conn: XConnection | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  async start(screen: Screen, options: CaptureOptions, onFrame: (frame: I420Frame) => void): Promise<void> {
    await this.stop();
    const conn = await openDisplay(this.display);
    this.conn = conn;
    this.running = true;
    const { width, height } = evenSize(screen.width, screen.height);
    const interval = 1000 / Math.max(1, Math.min(240, options.fps));
    let previous: Buffer | null = null;
    let lastSent = 0;
    const grab = (): void => {
      if (!this.running) return;
      const started = performance.now();
      conn.client.GetImage(2, conn.root, screen.x, screen.y, width, height, 0xffffffff, (err, img) => {
        if (!this.running) return;
        if (!err && img) {
          this.counters.captured++;
          const now = performance.now();
          if (previous && now - lastSent < this.keepAliveMs && previous.equals(img.data)) {
            this.counters.unchanged++;
          } else {
            previous = Buffer.from(img.data);
            lastSent = now;
            const data = new Uint8ClampedArray(i420Bytes(width, height));
            bgrxToI420(img.data, width * 4, width, height, data);
            this.counters.delivered++;
            onFrame({ width, height, data, at: now });
          }
        }
        this.timer = setTimeout(grab, Math.max(0, interval - (performance.now() - started)));
      });
    };
    grab();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.conn?.close();
    this.conn = null;
  }
}
