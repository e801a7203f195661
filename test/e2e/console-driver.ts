import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'puppeteer-core';
import { byRole, byTestId, clickRole, logInToConsole, pollFor, texts } from '../../testkit/web-harness.ts';

/**
 * Driving the real technician console in headless Chromium for the e2e tests
 * (console-agent, support-window): the code, Start, permissions as the console
 * shows them, the remote video, chat and files.
 */

export type Size = { width: number; height: number };
export type Rect = { x: number; y: number; w: number; h: number };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const sha256 = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

// Page code goes in as strings: tsx's keepNames would inject a `__name` helper the page lacks.
/** A page expression: the first element matching a selector, searching every shadow root. */
export const DEEP_FIND = `((sel) => {
  const visit = (root) => {
    const hit = root.querySelector(sel);
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) {
        const found = visit(el.shadowRoot);
        if (found) return found;
      }
    }
    return null;
  };
  return visit(document);
})`;

export type VideoSample = { frames: number; width: number; height: number; rgb: [number, number, number] };

/** Decoded frame count, size and the colour at (fx, fy) of the picture, read by drawing the console's <video> into a canvas. */
export async function sampleVideo(page: Page, fx: number, fy: number): Promise<VideoSample | null> {
  return (await page.evaluate(`(() => {
    const v = ${DEEP_FIND}('[data-testid="remote-video"]');
    if (!v || !v.videoWidth || !v.videoHeight) return null;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(v, 0, 0);
    const d = g.getImageData(Math.round(${fx} * (c.width - 1)), Math.round(${fy} * (c.height - 1)), 1, 1).data;
    return { frames: v.getVideoPlaybackQuality().totalVideoFrames, width: v.videoWidth, height: v.videoHeight, rgb: [d[0], d[1], d[2]] };
  })()`)) as VideoSample | null;
}

export const isRed = ([r, g, b]: [number, number, number]): boolean => r > 170 && g < 90 && b < 90;

/** Page coordinates of the X pixel (x, y) inside the letterboxed <video> (object-fit: contain). */
export async function videoPoint(page: Page, x: number, y: number, screen: Size): Promise<{ x: number; y: number }> {
  const box = (await page.evaluate(`(() => {
    const v = ${DEEP_FIND}('[data-testid="remote-video"]');
    const r = v.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height, vw: v.videoWidth, vh: v.videoHeight };
  })()`)) as { left: number; top: number; width: number; height: number; vw: number; vh: number };
  const scale = Math.min(box.width / box.vw, box.height / box.vh);
  const w = box.vw * scale;
  const h = box.vh * scale;
  const left = box.left + (box.width - w) / 2;
  const top = box.top + (box.height - h) / 2;
  return { x: left + (x / (screen.width - 1)) * w, y: top + (y / (screen.height - 1)) * h };
}

export async function permissionState(page: Page, permission: string): Promise<string> {
  const row = await page.$(`pierce/li[data-permission="${permission}"]`);
  return row ? row.evaluate((el) => el.getAttribute('data-state') ?? '') : 'missing';
}

export async function waitPermission(page: Page, permission: string, state: string): Promise<void> {
  await until(async () => (await permissionState(page, permission)) === state, `console permission ${permission} = ${state}`).catch(async (err: unknown) => {
    throw new Error(`${String(err)} (is ${await permissionState(page, permission)})`);
  });
}

/** Clicks the received file's Save link (a real download into the context's folder) and hashes the saved file. */
export async function sha256OfDownload(page: Page, dir: string, name: string, size: number): Promise<string> {
  const link = await until(async () => {
    const row = await page.$(`pierce/[data-testid="transfer"][data-direction="receive"][data-phase="done"]`);
    return row ? row.$('[data-testid="download-link"]') : null;
  }, `a finished download of ${name}`, 30_000);
  expect(await link.evaluate((a) => a.textContent)).to.equal(`Save ${name}`);
  await link.click();
  const file = path.join(dir, name);
  await until(() => fs.existsSync(file) && fs.statSync(file).size === size, `${name} saved by the browser`);
  return sha256(fs.readFileSync(file));
}

export async function sendChat(page: Page, text: string): Promise<void> {
  const input = await byRole(page, 'textbox', 'Chat message');
  await input.type(text);
  await input.press('Enter');
}

/** Logs the technician in (once per context) and creates a code; returns the code and its session id. */
export async function createCode(page: Page, url: string, tech: { email: string; password: string }, forceRelay: boolean): Promise<{ code: string; sessionId: string }> {
  await logInToConsole(page, url, tech.email, tech.password);
  if (forceRelay) {
    const box = await byRole(page, 'checkbox', 'Force relay (TURN) for this session');
    await box.click();
    expect(await box.evaluate((el) => (el as HTMLInputElement).checked)).to.equal(true);
  }
  await clickRole(page, 'button', 'Create session code');
  const codeEl = await byTestId(page, 'session-code');
  const code = await codeEl.evaluate((el) => el.textContent ?? '');
  expect(code).to.match(/^\d{6}$/);
  const row = await pollFor(page, 'pierce/[data-testid="code-row"]');
  const sessionId = await row.evaluate((el) => el.getAttribute('data-session') ?? '');
  if (forceRelay) expect((await texts(page, '[data-testid="code-row"]'))[0]).to.contain('relay only');
  return { code, sessionId };
}

/** Presses Start on the queued customer; the session opens in a tab. */
export async function start(page: Page, sessionId: string): Promise<void> {
  const row = await pollFor(page, `pierce/[data-testid="queue-row"][data-session="${sessionId}"]`);
  await (await row.$('button'))!.click();
  await byTestId(page, 'peer-name');
}

/** Waits until the console's video has decoded frames showing the red region. */
export async function watchRed(page: Page, red: Rect, screen: Size): Promise<VideoSample> {
  return until(async () => {
    const s = await sampleVideo(page, (red.x + red.w / 2) / (screen.width - 1), (red.y + red.h / 2) / (screen.height - 1));
    return s && s.frames > 0 && isRed(s.rgb) ? s : null;
  }, 'decoded frames with the red region in the console video', 30_000);
}

