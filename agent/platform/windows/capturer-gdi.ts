import type { Screen } from '../../../protocol/index.ts';
import { bgrxToI420 } from '../linux-x11/bgrx-to-i420.ts';
import { evenSize, i420Bytes, type CaptureOptions, type CaptureStats, type I420Frame, type ScreenCapturer } from '../screen-capturer.ts';
import { listMonitors } from './monitors.ts';
import type { Handle, Win32 } from './win32-api.ts';
import { bitmapInfo } from './win32-structs.ts';

const SRCCOPY = 0x00cc0020;
/** Include layered (translucent) windows in the copy. */
const CAPTUREBLT = 0x40000000;
const DIB_RGB_COLORS = 0;

/** The GDI objects of one running capture. */
interface Surface {
  screenDc: Handle;
  memDc: Handle;
  bitmap: Handle;
  previous: Handle;
  bits: Handle;
}

/**
 * Windows capture with GDI: BitBlt (on a koffi worker thread) from the
 * screen's DC into a top-down 32 bpp DIB section, read in place and converted BGRA→I420 in one pass
 * (`bgrxToI420`, the converter the Linux capture uses: GDI's 32 bpp DIB is
 * the same little-endian B,G,R,X byte order). Works on every Windows and
 * under Wine. DXGI Desktop Duplication (faster, GPU-side) is the future
 * path where it exists; Wine 8's is a stub (docs/windows.md).
 */
export class GdiCapturer implements ScreenCapturer {
  readonly autoMaxFps = 30;
  readonly method = 'gdi-bitblt';
  private counters: CaptureStats = { captured: 0, unchanged: 0, delivered: 0 };
  private surface: Surface | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** The BitBlt running on a worker thread: stop() waits for it before freeing the bitmap it writes to. */
  private inflight: Promise<boolean> | null = null;

  constructor(
    private readonly api: Win32,
    private readonly keepAliveMs = 1000,
  ) {}

  async listScreens(): Promise<Screen[]> {
    return listMonitors(this.api);
  }

  async start(screen: Screen, options: CaptureOptions, onFrame: (frame: I420Frame) => void): Promise<void> {
    await this.stop();
    const { width, height } = evenSize(screen.width, screen.height);
    const surface = this.open(width, height);
    this.surface = surface;
    this.running = true;
    const interval = 1000 / Math.max(1, Math.min(60, options.fps));
    const bytes = width * height * 4;
    // The DIB section's own memory: read in place, copied only into `previous` when the screen changed.
    const pixels = new Uint8Array(this.api.view(surface.bits, bytes));
    const previous = Buffer.alloc(bytes);
    const current = Buffer.from(pixels.buffer, pixels.byteOffset, bytes);
    let lastSent = -Infinity;
    const grab = async (): Promise<void> => {
      if (!this.running || this.surface !== surface) return;
      const started = performance.now();
      const blit = this.api.bitBltAsync(surface.memDc, 0, 0, width, height, surface.screenDc, screen.x, screen.y, SRCCOPY | CAPTUREBLT).catch(() => false);
      this.inflight = blit;
      const copied = await blit;
      if (!this.running || this.surface !== surface) return;
      if (copied) {
        this.api.GdiFlush();
        this.counters.captured++;
        const now = performance.now();
        if (now - lastSent < this.keepAliveMs && current.equals(previous)) {
          this.counters.unchanged++;
        } else {
          lastSent = now;
          const data = new Uint8ClampedArray(i420Bytes(width, height));
          bgrxToI420(pixels, width * 4, width, height, data);
          previous.set(pixels);
          this.counters.delivered++;
          onFrame({ width, height, data, at: now });
        }
      }
      this.timer = setTimeout(() => void grab(), Math.max(0, interval - (performance.now() - started)));
    };
    void grab();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const s = this.surface;
    this.surface = null;
    if (!s) return;
    await this.inflight;
    this.inflight = null;
    this.api.SelectObject(s.memDc, s.previous);
    this.api.DeleteObject(s.bitmap);
    this.api.DeleteDC(s.memDc);
    this.api.ReleaseDC(null, s.screenDc);
  }

  stats(): CaptureStats {
    return { ...this.counters };
  }

  private open(width: number, height: number): Surface {
    const screenDc = this.api.GetDC(null);
    if (screenDc === null) throw new Error('GetDC(NULL) failed: no desktop to capture (a service or the secure desktop?)');
    const memDc = this.api.CreateCompatibleDC(screenDc);
    const out: [Handle] = [null];
    const bitmap = memDc === null ? null : this.api.CreateDIBSection(screenDc, bitmapInfo(width, height), DIB_RGB_COLORS, out, null, 0);
    if (memDc === null || bitmap === null || out[0] === null) {
      if (memDc !== null) this.api.DeleteDC(memDc);
      this.api.ReleaseDC(null, screenDc);
      throw new Error(`cannot create a ${width}x${height} capture bitmap`);
    }
    const previous = this.api.SelectObject(memDc, bitmap);
    return { screenDc, memDc, bitmap, previous, bits: out[0] };
  }
}
