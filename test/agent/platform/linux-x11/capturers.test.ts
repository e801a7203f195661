import { expect } from 'chai';
import { FfmpegCapturer } from '../../../../agent/platform/linux-x11/capturer-ffmpeg.ts';
import { X11Capturer } from '../../../../agent/platform/linux-x11/capturer-x11.ts';
import { DamageCapturer } from '../../../../agent/platform/linux-x11/capturer-x11-damage.ts';
import type { I420Frame, ScreenCapturer } from '../../../../agent/platform/screen-capturer.ts';
import { openDisplay, type XConnection } from '../../../../agent/platform/linux-x11/display.ts';
import { requireNativeCapture } from '../../helpers/native-capture.ts';
import { drawRect, samplePixel, startXvfb, yuvOf, type TestXvfb } from '../../../../testkit/xvfb.ts';

const RED = 0xdd2211;
const BLUE = 0x1144ee;

async function frames(capturer: ScreenCapturer, screen: Parameters<ScreenCapturer['start']>[0], count: number): Promise<I420Frame[]> {
  const got: I420Frame[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} frames`)), 10_000);
    capturer
      .start(screen, { fps: 30 }, (f) => {
        got.push(f);
        if (got.length === count) {
          clearTimeout(timer);
          resolve();
        }
      })
      .catch(reject);
  });
  await capturer.stop();
  return got;
}

function near(actual: [number, number, number], expected: [number, number, number], tolerance = 6): boolean {
  return actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
}

describe('agent screen capture (Xvfb)', function () {
  this.timeout(30_000);
  let xvfb: TestXvfb;
  let conn: XConnection;

  before(async () => {
    xvfb = await startXvfb(1280, 720);
    conn = await openDisplay(xvfb.display);
    drawRect(conn, 100, 100, 200, 100, RED);
    drawRect(conn, 900, 500, 200, 100, BLUE);
  });
  after(async () => {
    conn?.close();
    await xvfb?.stop();
  });

  const makers: Array<{ method: string; polls: boolean; make: (display: string) => ScreenCapturer }> = [
    { method: 'x11-damage-shm', polls: false, make: (d) => new DamageCapturer(requireNativeCapture(), d) },
    { method: 'ffmpeg-x11grab', polls: true, make: (d) => new FfmpegCapturer(d) },
    { method: 'x11-getimage', polls: true, make: (d) => new X11Capturer(d) },
  ];
  for (const { method, polls, make } of makers) {
    describe(method, () => {
      it('lists the screen of the display', async () => {
        const screens = await make(xvfb.display).listScreens();
        expect(screens).to.have.length.greaterThan(0);
        expect(screens[0]).to.include({ x: 0, y: 0, width: 1280, height: 720, primary: true });
      });

      it('delivers I420 frames in which drawn colour regions show up', async () => {
        const capturer = make(xvfb.display);
        const [screen] = await capturer.listScreens();
        const [frame] = await frames(capturer, screen!, 1);
        expect(frame!.width).to.equal(1280);
        expect(frame!.height).to.equal(720);
        expect(frame!.data.byteLength).to.equal(1280 * 720 * 1.5);
        expect(frame!.data.buffer.byteLength).to.equal(1280 * 720 * 1.5);
        expect(near(samplePixel(frame!.data, 1280, 720, 200, 150), yuvOf(RED)), 'red region').to.equal(true);
        expect(near(samplePixel(frame!.data, 1280, 720, 1000, 550), yuvOf(BLUE)), 'blue region').to.equal(true);
        expect(near(samplePixel(frame!.data, 1280, 720, 600, 400), yuvOf(RED))).to.equal(false);
      });

      it('captures a chosen part of the display (a second monitor) at its offset', async () => {
        const capturer = make(xvfb.display);
        const right = { id: 'right', name: 'right', x: 640, y: 0, width: 640, height: 720, primary: false };
        const [frame] = await frames(capturer, right, 1);
        expect(frame!.width).to.equal(640);
        expect(near(samplePixel(frame!.data, 640, 720, 1000 - 640, 550), yuvOf(BLUE))).to.equal(true);
      });

      if (polls) {
        it('skips unchanged frames on an idle screen', async () => {
          const capturer = make(xvfb.display);
          const [screen] = await capturer.listScreens();
          await frames(capturer, screen!, 2);
          const stats = capturer.stats();
          expect(stats.captured).to.be.greaterThan(stats.delivered);
          expect(stats.unchanged).to.be.greaterThan(0);
        });
      }
    });
  }
});
