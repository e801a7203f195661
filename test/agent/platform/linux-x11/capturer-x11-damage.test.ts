import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { DamageCapturer } from '../../../../agent/platform/linux-x11/capturer-x11-damage.ts';
import { createScreenCapturer } from '../../../../agent/platform/linux-x11/create-capturer.ts';
import type { I420Frame } from '../../../../agent/platform/screen-capturer.ts';
import { openDisplay, xcall, type XConnection } from '../../../../agent/platform/linux-x11/display.ts';
import { requireNativeCapture } from '../../helpers/native-capture.ts';
import { drawRect, expectColourAt, samplePixel, startXvfb, type TestXvfb } from '../../../../testkit/xvfb.ts';
import { sleep, until } from '../../../../testkit/wait.ts';

const SCREEN = { id: 'root', name: 'Whole screen', x: 0, y: 0, width: 640, height: 480, primary: true };
const GREY = 0x808080;

describe('agent/platform/linux-x11/capturer-x11-damage (XDamage + MIT-SHM addon)', function () {
  this.timeout(30_000);
  let xvfb: TestXvfb;
  let conn: XConnection;
  let capturer: DamageCapturer;
  let frames: I420Frame[];

  before(async () => {
    xvfb = await startXvfb(640, 480);
    conn = await openDisplay(xvfb.display);
    drawRect(conn, 0, 0, 640, 480, GREY);
    await xcall((cb) => conn.client.GetInputFocus(cb));
  });
  beforeEach(async () => {
    frames = [];
    capturer = new DamageCapturer(requireNativeCapture(), xvfb.display);
    await capturer.start(SCREEN, { fps: 30 }, (f) => frames.push(f));
  });
  afterEach(async () => capturer.stop());
  after(async () => {
    conn?.close();
    await xvfb?.stop();
  });

  it('is what --capture auto picks when the addon is built', () => {
    expect(createScreenCapturer(xvfb.display, 'auto').method).to.equal('x11-damage-shm');
    expect(createScreenCapturer(xvfb.display, 'native').method).to.equal('x11-damage-shm');
  });

  it('takes a frame when the screen changes, showing the change', async () => {
    await until(() => frames.length > 0, 'the first frame');
    const win = drawRect(conn, 300, 200, 40, 40, 0xdd2211);
    await until(() => frames.some((f) => samplePixel(f.data, f.width, f.height, 320, 220)[0] !== samplePixel(frames[0]!.data, 640, 480, 320, 220)[0]), 'a frame with the square');
    const last = frames[frames.length - 1]!;
    expectColourAt(last, 320, 220, 0xdd2211, 6);
    expectColourAt(last, 100, 100, GREY, 6);
    conn.client.DestroyWindow(win);
  });

  it('repeats a still screen 0.25, 0.5, 1 and 2 s after a change and then not at all, never reading the screen for it', async () => {
    await until(() => frames.length > 0, 'the first frame');
    const stats0 = capturer.nativeStats()!;
    expect(stats0.repeatMs, 'the first repeat comes 250 ms after the change').to.equal(250);
    await until(() => capturer.nativeStats()!.repeats >= 4, 'four repeats of the still screen (0.25 + 0.5 + 1 + 2 s)', 15_000);
    const stats = capturer.nativeStats()!;
    expect(stats.repeatMs, 'after 0.25, 0.5, 1, 2 s: no more repeats (no keep-alive)').to.equal(-1);
    expect(stats.grabs, 'no screen reads for the repeats').to.equal(stats0.grabs);
    expect(frames.length, 'each repeat reaches JavaScript').to.be.at.least(5);
    // A change starts the quick repeats again.
    const win = drawRect(conn, 10, 10, 20, 20, 0x2233dd);
    await until(() => capturer.nativeStats()!.grabs > stats.grabs, 'the change read from the screen');
    expect(capturer.nativeStats()!.repeatMs).to.equal(250);
    conn.client.DestroyWindow(win);
  });

  it('with a keep-alive interval, repeats a still screen once per interval after the quick repeats', async () => {
    await capturer.stop();
    frames = [];
    capturer = new DamageCapturer(requireNativeCapture(), xvfb.display, 2500);
    await capturer.start(SCREEN, { fps: 30 }, (f) => frames.push(f));
    await until(() => capturer.nativeStats()!.repeats >= 5, 'five repeats (0.25 + 0.5 + 1 + 2 + 2.5 s)', 15_000);
    expect(capturer.nativeStats()!.repeatMs).to.equal(2500);
  });

  it('sends the still picture again when asked (a key frame request or a new peer), without reading the screen', async () => {
    await until(() => capturer.nativeStats()!.repeats >= 4, 'the quick repeats over', 15_000);
    const stats = capturer.nativeStats()!;
    const count = frames.length;
    capturer.refresh();
    await until(() => frames.length > count, 'a frame after refresh()');
    const after = capturer.nativeStats()!;
    expect(after.refreshes).to.equal(stats.refreshes + 1);
    expect(after.grabs, 'no screen read').to.equal(stats.grabs);
    expectColourAt(frames[frames.length - 1]!, 100, 100, GREY, 6);
    // Asking many times at once gives one frame per frame interval at most, and never blocks.
    for (let i = 0; i < 1000; i++) capturer.refresh();
    await until(() => capturer.nativeStats()!.refreshes > after.refreshes, 'the burst answered');
    await capturer.stop();
    capturer.refresh(); // after stop: nothing, no throw
  });

  it('draws the pointer into the frames', async () => {
    execFileSync('xdotool', ['mousemove', '200', '150'], { env: { ...process.env, DISPLAY: xvfb.display } });
    await until(() => {
      const f = frames[frames.length - 1];
      if (!f) return false;
      // The X cursor's hotspot is inside its 16x16 image: some pixel there is not the grey background.
      for (let dy = -6; dy <= 6; dy++) for (let dx = -6; dx <= 6; dx++) if (Math.abs(samplePixel(f.data, 640, 480, 200 + dx, 150 + dy)[0] - samplePixel(f.data, 640, 480, 400, 400)[0]) > 40) return true;
      return false;
    }, 'the pointer in a frame');
  });

  it('on a still screen reads the pointer when it moves (XInput 2 raw motion), not on a clock, and shows the move', async () => {
    await until(() => capturer.nativeStats()!.repeats >= 3, 'a still screen past its first second', 15_000);
    const before = capturer.nativeStats()!;
    expect(before.rawMotion, 'Xvfb has XInput 2').to.equal(true);
    await sleep(2000);
    const still = capturer.nativeStats()!;
    // A 33 ms clock would have made ~60 queries in 2 s; the move-driven reads make one a second at most.
    expect(still.pointerQueries - before.pointerQueries, 'pointer queries on a still screen').to.be.below(10);
    const count = frames.length;
    execFileSync('xdotool', ['mousemove', '420', '300'], { env: { ...process.env, DISPLAY: xvfb.display } });
    await until(() => {
      const f = frames[frames.length - 1];
      if (!f || frames.length === count) return false;
      for (let dy = -6; dy <= 6; dy++) for (let dx = -6; dx <= 6; dx++) if (Math.abs(samplePixel(f.data, 640, 480, 420 + dx, 300 + dy)[0] - samplePixel(f.data, 640, 480, 100, 400)[0]) > 40) return true;
      return false;
    }, 'the moved pointer in a frame');
  });

  it('hands JavaScript only the newest frame when it is busy: stale frames are replaced, never queued', async () => {
    let cycler: ChildProcess | null = null;
    try {
      cycler = spawn(process.execPath, ['--import', 'tsx', 'test/agent/helpers/colour-cycler.ts', xvfb.display, '500', '400', '32', '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await once(cycler.stdout!, 'data');
      await until(() => frames.length > 2, 'frames while the screen changes');
      const replacedBefore = capturer.nativeStats()!.replaced;
      // Busy until the capture thread has replaced five frames in the mailbox (read from the addon's counters, which
      // need no turn of the event loop), for at most 10 s: a fixed spell took fewer than five frames on a loaded machine.
      const busyUntil = performance.now() + 10_000;
      while (capturer.nativeStats()!.replaced - replacedBefore < 5 && performance.now() < busyUntil) {
        // Busy: the capture thread keeps taking frames, JavaScript takes none.
      }
      const atUnblock = frames.length;
      await sleep(0);
      expect(frames.length - atUnblock, 'frames handed over at once after the busy spell').to.be.at.most(1);
      expect(capturer.nativeStats()!.replaced - replacedBefore, 'frames replaced in the mailbox').to.be.at.least(5);
    } finally {
      cycler?.kill();
    }
  });

  it('fails to start with a clear error on a display that is not there', async () => {
    const other = new DamageCapturer(requireNativeCapture(), ':999');
    let error: unknown = null;
    await other.start(SCREEN, { fps: 30 }, () => undefined).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/cannot open X display :999/);
  });
});
