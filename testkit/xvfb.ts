import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { openDisplay, type XConnection } from '../agent/platform/linux-x11/display.ts';

/** A private Xvfb for one test file, on a free display number. */
export interface TestXvfb {
  display: string;
  width: number;
  height: number;
  stop(): Promise<void>;
}

/**
 * Starts Xvfb with `-displayfd`, so the server itself picks a free display
 * number (no race with other test runs choosing the same one).
 */
export async function startXvfb(width = 1280, height = 720): Promise<TestXvfb> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '-noreset'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    const number = await new Promise<string | null>((resolve) => {
      let text = '';
      const timer = setTimeout(() => resolve(null), 10_000);
      const pipe = child.stdio[3] as NodeJS.ReadableStream;
      pipe.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\n')) {
          clearTimeout(timer);
          resolve(text.trim());
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(null);
      });
    });
    const display = `:${number}`;
    if (number && /^\d+$/.test(number) && (await waitForDisplay(display, child))) {
      return { display, width, height, stop: () => stopChild(child) };
    }
    await stopChild(child);
  }
  throw new Error('Could not start Xvfb');
}

async function waitForDisplay(display: string, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    try {
      const conn = await openDisplay(display, 1000);
      conn.close();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Maps a window with a solid background colour (0xRRGGBB) at x,y on the root window. */
export function drawRect(conn: XConnection, x: number, y: number, w: number, h: number, rgb: number): number {
  const id = conn.client.AllocID();
  conn.client.CreateWindow(id, conn.root, x, y, w, h, 0, 0, 0, 0, { backgroundPixel: rgb, overrideRedirect: 1 });
  conn.client.MapWindow(id);
  return id;
}

/** BT.601 limited-range Y, U, V of an RGB colour (what an I420 frame should hold). */
export function yuvOf(rgb: number): [number, number, number] {
  const r = (rgb >> 16) & 0xff;
  const g = (rgb >> 8) & 0xff;
  const b = rgb & 0xff;
  return [
    ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16,
    ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128,
    ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128,
  ];
}

/** Y, U, V of the pixel at x,y of an I420 frame. */
export function samplePixel(data: Uint8ClampedArray | Uint8Array, width: number, height: number, x: number, y: number): [number, number, number] {
  const cw = width >> 1;
  const uBase = width * height;
  const vBase = uBase + cw * (height >> 1);
  const c = (y >> 1) * cw + (x >> 1);
  return [data[y * width + x] ?? -1, data[uBase + c] ?? -1, data[vBase + c] ?? -1];
}

/** Asserts that the I420 frame shows `rgb` at (x, y), each of Y, U and V within `tolerance` (the encoder blurs colours). */
export function expectColourAt(frame: { data: Uint8ClampedArray | Uint8Array; width: number; height: number }, x: number, y: number, rgb: number, tolerance = 20): void {
  const [fy, fu, fv] = samplePixel(frame.data, frame.width, frame.height, x, y);
  const [ey, eu, ev] = yuvOf(rgb);
  expect(Math.abs(fy - ey), `Y ${fy} vs ${ey}`).to.be.at.most(tolerance);
  expect(Math.abs(fu - eu), `U ${fu} vs ${eu}`).to.be.at.most(tolerance);
  expect(Math.abs(fv - ev), `V ${fv} vs ${ev}`).to.be.at.most(tolerance);
}
