import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Screen } from '../../../protocol/index.ts';
import { X11CapturerBase } from './capturer-base.ts';
import { evenSize, i420Bytes, type CaptureOptions, type I420Frame } from '../screen-capturer.ts';

/** Whether an `ffmpeg` with the x11grab input is on the PATH. */
export function ffmpegHasX11grab(): boolean {
  const probe = spawnSync('ffmpeg', ['-hide_banner', '-devices'], { encoding: 'utf8', timeout: 5000 });
  return probe.status === 0 && /x11grab/.test(probe.stdout);
}

/**
 * Linux/X11 capture through `ffmpeg -f x11grab` as a child process: it grabs
 * with MIT-SHM and converts to I420 with SIMD code in its own process, so the
 * agent's event loop (which injects input) only copies bytes. Chosen over the
 * pure-JS X client by measurement; see docs/decisions-agent.md.
 */
export class FfmpegCapturer extends X11CapturerBase {
  readonly autoMaxFps = 30;
  readonly method = 'ffmpeg-x11grab';
  private child: ChildProcess | null = null;

  async start(screen: Screen, options: CaptureOptions, onFrame: (frame: I420Frame) => void): Promise<void> {
    await this.stop();
    const { width, height } = evenSize(screen.width, screen.height);
    const frameBytes = i420Bytes(width, height);
    const fps = Math.max(1, Math.min(240, Math.round(options.fps)));
    const child = spawn(
      'ffmpeg',
      [
        '-hide_banner', '-loglevel', 'error', '-nostdin',
        '-f', 'x11grab', '-draw_mouse', '1', '-framerate', String(fps),
        '-video_size', `${width}x${height}`, '-i', `${this.display}+${screen.x},${screen.y}`,
        '-fps_mode', 'passthrough', '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString();
    });
    let frame = new Uint8ClampedArray(frameBytes);
    let filled = 0;
    let previous: Buffer | null = null;
    let lastSent = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - offset);
        frame.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled < frameBytes) break;
        this.counters.captured++;
        const now = performance.now();
        const bytes = Buffer.from(frame.buffer, 0, frameBytes);
        if (previous && now - lastSent < this.keepAliveMs && previous.equals(bytes)) {
          this.counters.unchanged++; // Reuse `frame` for the next one.
        } else {
          this.counters.delivered++;
          lastSent = now;
          previous = bytes;
          onFrame({ width, height, data: frame, at: now });
          frame = new Uint8ClampedArray(frameBytes);
        }
        filled = 0;
      }
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (code: number | null): void => reject(new Error(`ffmpeg x11grab exited (${code}): ${stderr.trim().slice(0, 300)}`));
      child.once('exit', fail);
      child.once('error', (err) => reject(err));
      child.stdout.once('data', () => {
        child.removeListener('exit', fail);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** The ffmpeg child's pid while capturing (for CPU accounting). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }
}
