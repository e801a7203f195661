import type { Screen } from '../../../protocol/index.ts';
import { openDisplay } from './display.ts';
import { listMonitors } from './monitors.ts';
import type { CaptureOptions, CaptureStats, I420Frame, ScreenCapturer } from '../screen-capturer.ts';

/**
 * What the Linux/X11 capturers share: the display, the keep-alive interval
 * for an unchanged screen, the monitor list (RandR) and the frame counters.
 * Subclasses only grab frames.
 */
export abstract class X11CapturerBase implements ScreenCapturer {
  abstract readonly method: string;
  protected counters: CaptureStats = { captured: 0, unchanged: 0, delivered: 0 };

  /** `keepAliveMs`: an unchanged screen still sends one frame this often, so a decoder that lost a frame recovers. */
  constructor(
    protected readonly display: string,
    protected readonly keepAliveMs = 1000,
  ) {}

  async listScreens(): Promise<Screen[]> {
    const conn = await openDisplay(this.display);
    try {
      return await listMonitors(conn);
    } finally {
      conn.close();
    }
  }

  abstract start(screen: Screen, options: CaptureOptions, onFrame: (frame: I420Frame) => void): Promise<void>;

  abstract stop(): Promise<void>;

  stats(): CaptureStats {
    return { ...this.counters };
  }
}
