/**
 * The real product for the browser stages: the built web UI served by the
 * real signaling server on loopback, headless Chromium (puppeteer-core), a
 * logged-in technician console with an in-page driver that reacts at once
 * (starts a queued session, asks to view the screen, hooks
 * requestVideoFrameCallback on the remote video), and the same for the
 * customer page. Reuses the e2e harness in testkit/web-harness.ts.
 */
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import { loginCookie } from '../../testkit/server.ts';
import { createTechnician, ensureBuilt, launchChromium, RECORD_PEER_CONNECTIONS, startWebServer, type TestServer } from '../../testkit/web-harness.ts';

export const TECH = { name: 'Bench Tech', password: 'correct horse battery staple' };

export interface WebBench {
  srv: TestServer;
  browser: Browser;
  /** Logs in a new technician account (a fresh queue: sessions of earlier runs stay out of the way). */
  newTechnician(): Promise<string>;
  close(): Promise<void>;
}

/** Builds the UI if needed (into a private folder), starts the server and Chromium. */
export async function startWebBench(): Promise<WebBench> {
  ensureBuilt();
  const srv = await startWebServer({ LOG_LEVEL: 'silent' });
  let count = 0;
  const chromium = await launchChromium();
  return {
    srv,
    browser: chromium.browser,
    newTechnician: async () => {
      const email = `bench-tech-${++count}@example.test`;
      await createTechnician(srv.server, email, TECH.name, TECH.password);
      return loginCookie(srv.server, email, TECH.password);
    },
    close: async () => {
      await chromium.close();
      await srv.close();
    },
  };
}

/** What the console driver records in the page (window.__bench). */
export interface ConsoleRecord {
  startClickedAt: number | null;
  /** Clicks on Start before the session started (more than 1: the server refused an early click). */
  startClicks: number;
  askClickedAt: number | null;
  trackAt: number | null;
  firstFrameAt: number | null;
  frames: number;
  /**
   * Colour changes seen in the sampled region: [wall ms the frame is expected on the display
   * (rVFC expectedDisplayTime), r, g, b, receiveTime wall ms or 0, rVFC callback time (now) wall ms,
   * presentationTime wall ms (the frame handed to the compositor) or 0].
   */
  changes: Array<[number, number, number, number, number, number, number]>;
  /** Median ms between requestAnimationFrame callbacks over the last ~2 s (the page's frame clock). */
  frameIntervalMs: number;
}

/**
 * Runs in the page: every 4 ms, clicks what a fast technician would click and
 * hooks requestVideoFrameCallback on the remote video. Times are wall clock
 * (performance.timeOrigin + performance.now()), comparable with Date.now() in Node.
 */
function consoleDriver(): void {
  type Rec = ConsoleRecord & { sample: { x: number; y: number; w: number; h: number } | null; lastClick: Map<string, number> };
  const w = window as unknown as { __bench: Rec };
  const rec: Rec = { startClickedAt: null, startClicks: 0, askClickedAt: null, trackAt: null, firstFrameAt: null, frames: 0, changes: [], frameIntervalMs: NaN, sample: null, lastClick: new Map() };
  // The page's frame clock: the intervals between animation frames (a headless compositor's begin-frame rate).
  const intervals: number[] = [];
  let lastRaf = 0;
  const raf = (t: number): void => {
    if (lastRaf > 0) intervals.push(t - lastRaf);
    if (intervals.length > 120) intervals.shift();
    lastRaf = t;
    const sorted = [...intervals].sort((a, b) => a - b);
    rec.frameIntervalMs = sorted[sorted.length >> 1] ?? NaN;
    requestAnimationFrame(raf);
  };
  requestAnimationFrame(raf);
  w.__bench = rec;
  const wall = (t: number): number => performance.timeOrigin + t;
  const deepAll = (root: Document | ShadowRoot, sel: string, out: Element[] = []): Element[] => {
    for (const el of root.querySelectorAll('*')) {
      if (el.matches(sel)) out.push(el);
      if (el.shadowRoot) deepAll(el.shadowRoot, sel, out);
    }
    return out;
  };
  const canvas = document.createElement('canvas');
  canvas.width = 4;
  canvas.height = 4;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let last = '';
  let chain: Promise<void> = Promise.resolve();
  const note = (at: number, r: number, g: number, b: number, receivedAt: number, calledAt: number, presentedAt: number): void => {
    const key = `${r >> 6},${g >> 6},${b >> 6}`;
    if (key !== last && rec.changes.length < 5000) {
      last = key;
      rec.changes.push([at, r, g, b, receivedAt, calledAt, presentedAt]);
    }
  };
  /** The sampled region's mean colour from the decoded I420 planes (no RGB conversion of the whole frame), or null. */
  const sampleYuv = async (video: HTMLVideoElement, s: { x: number; y: number; w: number; h: number }): Promise<[number, number, number] | null> => {
    if (typeof VideoFrame === 'undefined') return null;
    const frame = new VideoFrame(video);
    try {
      if (frame.format !== 'I420' && frame.format !== 'I420A') return null;
      const rect = { x: s.x & ~1, y: s.y & ~1, width: s.w & ~1, height: s.h & ~1 };
      const buf = new Uint8Array(frame.allocationSize({ rect }));
      const layout = await frame.copyTo(buf, { rect });
      const mean = (plane: number, w: number, h: number): number => {
        const { offset, stride } = layout[plane]!;
        let sum = 0;
        for (let yy = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) sum += buf[offset + yy * stride + xx]!;
        return sum / (w * h);
      };
      const Y = mean(0, rect.width, rect.height) - 16;
      const U = mean(1, rect.width / 2, rect.height / 2) - 128;
      const V = mean(2, rect.width / 2, rect.height / 2) - 128;
      const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
      return [clamp(1.164 * Y + 1.596 * V), clamp(1.164 * Y - 0.813 * V - 0.391 * U), clamp(1.164 * Y + 2.018 * U)];
    } catch {
      return null;
    } finally {
      frame.close();
    }
  };
  const sampleCanvas = (video: HTMLVideoElement, s: { x: number; y: number; w: number; h: number }): [number, number, number] => {
    ctx.drawImage(video, s.x, s.y, s.w, s.h, 0, 0, 4, 4);
    const d = ctx.getImageData(1, 1, 2, 2).data;
    return [
      ((d[0] ?? 0) + (d[4] ?? 0) + (d[8] ?? 0) + (d[12] ?? 0)) >> 2,
      ((d[1] ?? 0) + (d[5] ?? 0) + (d[9] ?? 0) + (d[13] ?? 0)) >> 2,
      ((d[2] ?? 0) + (d[6] ?? 0) + (d[10] ?? 0) + (d[14] ?? 0)) >> 2,
    ];
  };
  const hook = (video: HTMLVideoElement): void => {
    const onFrame = (now: number, meta: VideoFrameCallbackMetadata): void => {
      // Shown = when the compositor expects the frame on the display, not when this callback runs
      // (the callback comes with the next animation frame; the expected display time is the honest end).
      const at = wall(meta.expectedDisplayTime || now);
      const calledAt = wall(now);
      rec.frames++;
      rec.firstFrameAt ??= at;
      const s = rec.sample;
      if (s) {
        const receivedAt = meta.receiveTime ? wall(meta.receiveTime) : 0;
        const presentedAt = meta.presentationTime ? wall(meta.presentationTime) : 0;
        // In order, one at a time; the region is read from the frame's planes where possible (cheap), else through a canvas.
        chain = chain.then(async () => {
          const rgb = (await sampleYuv(video, s)) ?? sampleCanvas(video, s);
          note(at, rgb[0], rgb[1], rgb[2], receivedAt, calledAt, presentedAt);
        });
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  let lastTick = 0;
  const tick = (): void => {
    // Fast until the first frame (the first-frame figures), then seldom: scanning the DOM costs the page's thread.
    const now0 = performance.now();
    if (rec.firstFrameAt !== null && now0 - lastTick < 500) return;
    lastTick = now0;
    for (const b of deepAll(document, 'button[aria-label^="Start session with "]') as HTMLButtonElement[]) {
      // A queued row can appear before the customer's socket is up; the server then refuses
      // (PEER_NOT_CONNECTED, shown as a notice) and the row stays: clear the notice and click again.
      const model = (document.querySelector('rr-console-app') as unknown as { model?: { notice: string } } | null)?.model;
      const refused = !!model && model.notice.includes('not connected');
      const row = b.closest('[data-session]')?.getAttribute('data-session') ?? 'row';
      const now = performance.now();
      const lastAt = rec.lastClick.get(row);
      if (lastAt === undefined || (refused && now - lastAt > 20 && rec.startClicks < 200)) {
        if (model) model.notice = '';
        rec.lastClick.set(row, now);
        rec.startClickedAt ??= wall(now);
        rec.startClicks++;
        b.click();
      }
    }
    for (const b of deepAll(document, 'button') as HTMLButtonElement[]) {
      if (!b.disabled && b.textContent?.trim() === 'Ask to view screen' && rec.askClickedAt === null) {
        rec.askClickedAt = wall(performance.now());
        b.click();
      }
    }
    for (const v of deepAll(document, 'video[data-testid="remote-video"]') as Array<HTMLVideoElement & { __hooked?: boolean }>) {
      if (v.srcObject && !v.__hooked) {
        v.__hooked = true;
        rec.trackAt ??= wall(performance.now());
        hook(v);
      }
    }
  };
  setInterval(tick, 4);
}

/** Runs in the customer page: shares from the browser and says yes to viewing as soon as asked. */
function customerDriver(): void {
  const deepAll = (root: Document | ShadowRoot, sel: string, out: Element[] = []): Element[] => {
    for (const el of root.querySelectorAll('*')) {
      if (el.matches(sel)) out.push(el);
      if (el.shadowRoot) deepAll(el.shadowRoot, sel, out);
    }
    return out;
  };
  const done = new Set<string>();
  setInterval(() => {
    for (const b of deepAll(document, 'button') as HTMLButtonElement[]) {
      const label = b.getAttribute('aria-label') ?? b.textContent?.trim() ?? '';
      if (b.disabled || done.has(label)) continue;
      if (label === 'Share my screen from this browser' || label === 'Yes, allow: View your screen') {
        done.add(label);
        b.click();
      }
    }
  }, 4);
}

/** tsx compiles with keepNames: functions passed to page.evaluate may call `__name`, which the page lacks. */
export const NAME_SHIM = 'globalThis.__name = globalThis.__name || ((f) => f)';

/** The playout-delay RTP header extension (https://webrtc.googlesource.com/src/+/refs/heads/main/docs/native-code/rtp-hdrext/playout-delay/). */
export const PLAYOUT_DELAY_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay';

/**
 * In the page: every description the console sets goes without the playout-delay extension, so
 * the agent's video carries none (the bench's "before" reference for the sender's render-at-once hint).
 */
const STRIP_PLAYOUT_DELAY = `(() => {
  const strip = (d) => d && d.sdp ? { type: d.type, sdp: d.sdp.split('\\r\\n').filter((l) => !l.includes(${JSON.stringify(PLAYOUT_DELAY_URI)})).join('\\r\\n') } : d;
  const proto = window.RTCPeerConnection.prototype;
  const setLocal = proto.setLocalDescription;
  const setRemote = proto.setRemoteDescription;
  proto.setLocalDescription = async function (d) {
    if (d && d.sdp) return setLocal.call(this, strip(d));
    if (d && d.type === 'rollback') return setLocal.call(this, d);
    const type = this.signalingState === 'have-remote-offer' ? 'answer' : 'offer';
    const made = type === 'answer' ? await this.createAnswer() : await this.createOffer();
    return setLocal.call(this, strip(made));
  };
  proto.setRemoteDescription = function (d) { return setRemote.call(this, strip(d)); };
})()`;

/** A logged-in console in a fresh browser context, online, with the driver running. */
export async function openConsole(bench: WebBench, ctx: BrowserContext, viewport = { width: 1600, height: 1000 }, options: { stripPlayoutDelay?: boolean } = {}): Promise<Page> {
  const page = await ctx.newPage();
  await page.setViewport(viewport);
  page.on('pageerror', (err) => console.error(`  [console pageerror] ${String(err)}`));
  const cookie = await bench.newTechnician();
  const [name, value] = cookie.split('=') as [string, string];
  await page.setCookie({ name, value, url: bench.srv.url });
  await page.evaluateOnNewDocument(RECORD_PEER_CONNECTIONS);
  if (options.stripPlayoutDelay) await page.evaluateOnNewDocument(STRIP_PLAYOUT_DELAY);
  await page.goto(`${bench.srv.url}/console`);
  await page.waitForFunction(() => document.querySelector('rr-console-app')?.shadowRoot?.textContent?.includes('Online'), { timeout: 15_000, polling: 50 });
  await page.evaluate(NAME_SHIM);
  await page.evaluate(consoleDriver);
  return page;
}

/** Clicks "Create session code" and returns the new code. */
export async function createCode(page: Page): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const button = await page.waitForSelector('::-p-aria([name="Create session code"][role="button"])', { timeout: 10_000, visible: true });
    await page.waitForFunction((b) => !(b as HTMLButtonElement).disabled, { timeout: 10_000, polling: 20 }, button);
    await button!.click();
    for (let i = 0; i < 40; i++) {
      const text = await page.evaluate(() => {
        const find = (root: Document | ShadowRoot): string | null => {
          for (const el of root.querySelectorAll('*')) {
            if (el.getAttribute('data-testid') === 'session-code') return el.textContent ?? '';
            const inner = el.shadowRoot ? find(el.shadowRoot) : null;
            if (inner !== null) return inner;
          }
          return null;
        };
        return find(document);
      });
      if (text && /^\d{6}$/.test(text)) return text;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('the console showed no 6-digit code');
}

/** The customer page with the code typed in; `submit()` clicks Start and returns the wall time of the click. */
export async function openCustomer(bench: WebBench, ctx: BrowserContext, code: string): Promise<{ page: Page; submit(): Promise<number> }> {
  const page = await ctx.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on('pageerror', (err) => console.error(`  [customer pageerror] ${String(err)}`));
  await page.goto(`${bench.srv.url}/`);
  const input = await page.waitForSelector('::-p-aria([name="Enter your 6-digit code"][role="textbox"])', { timeout: 10_000, visible: true });
  await input!.type(code);
  await page.evaluate(NAME_SHIM);
  await page.evaluate(customerDriver);
  return {
    page,
    submit: () =>
      page.evaluate(() => {
        const deep = (root: Document | ShadowRoot): HTMLButtonElement | null => {
          for (const el of root.querySelectorAll('*')) {
            if (el instanceof HTMLButtonElement && el.type === 'submit' && el.textContent?.trim() === 'Start') return el;
            const inner = el.shadowRoot ? deep(el.shadowRoot) : null;
            if (inner) return inner;
          }
          return null;
        };
        const button = deep(document);
        if (!button) throw new Error('no Start button on the customer page');
        const at = performance.timeOrigin + performance.now();
        button.click();
        return at;
      }),
  };
}

export function readRecord(page: Page): Promise<ConsoleRecord> {
  return page.evaluate(() => {
    const r = (window as unknown as { __bench: ConsoleRecord }).__bench;
    return { startClickedAt: r.startClickedAt, startClicks: r.startClicks, askClickedAt: r.askClickedAt, trackAt: r.trackAt, firstFrameAt: r.firstFrameAt, frames: r.frames, changes: r.changes, frameIntervalMs: r.frameIntervalMs };
  });
}

/** Waits (bounded) until the console has presented its first remote frame. */
export async function waitFirstFrame(page: Page, timeoutMs: number): Promise<ConsoleRecord> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rec = await readRecord(page);
    if (rec.firstFrameAt !== null) return rec;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no video frame in the console within ${timeoutMs} ms (${JSON.stringify(await readRecord(page))})`);
}
