import type { Page } from 'puppeteer-core';
import { byTestId, clickRole } from './web-harness.ts';

/**
 * Driving transfer and collaboration in the real console (headless Chromium):
 * whether the remote video plays, and picking an online colleague.
 */

/** Frames the console's remote video has decoded, or -1 when it shows no stream. */
export async function decodedFrames(page: Page): Promise<number> {
  const video = await page.$('pierce/[data-testid="remote-video"]');
  if (!video) return -1;
  return video.evaluate((v) => {
    const el = v as HTMLVideoElement;
    return el.srcObject ? el.getVideoPlaybackQuality().totalVideoFrames : -1;
  });
}

/** Waits until the console's video decodes new frames (the screen really arrives). */
export async function waitVideoPlaying(page: Page, what: string): Promise<void> {
  let first = -1;
  for (let i = 0; i < 300; i++) {
    const now = await decodedFrames(page);
    if (now > 0 && first < 0) first = now;
    if (first > 0 && now > first) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: no video frames arrived`);
}

/** Waits until the console shows no stream any more; answers how long that took. */
export async function waitVideoGone(page: Page, what: string, timeoutMs = 5000): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if ((await decodedFrames(page)) < 0) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what}: the video is still shown after ${timeoutMs} ms`);
}

export async function chooseTechnician(page: Page, email: string): Promise<void> {
  await clickRole(page, 'button', 'Refresh list');
  const select = await byTestId(page, 'handover-tech');
  for (let i = 0; i < 100; i++) {
    const options = await select.evaluate((s) => [...(s as HTMLSelectElement).options].map((o) => [o.value, o.textContent ?? '']));
    const match = options.find(([, label]) => label?.includes(email));
    if (match) {
      await select.select(match[0] ?? '');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${email} is not in the list of technicians online`);
}

