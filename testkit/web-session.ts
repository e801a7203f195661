/**
 * What the browser tests do in a live session: read a permission's state on
 * either page, wait for one, chat, and wait for a control to be enabled.
 */
import type { ElementHandle, Page } from 'puppeteer-core';
import { byRole, texts } from './web-harness.ts';

export async function permissionState(page: Page, permission: string): Promise<string> {
  const row = await page.$(`pierce/li[data-permission="${permission}"], tr[data-permission="${permission}"]`);
  if (!row) return 'missing';
  return row.evaluate((el) => el.getAttribute('data-state') ?? '');
}

export async function waitPermission(page: Page, permission: string, state: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if ((await permissionState(page, permission)) === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`permission ${permission} never became ${state} (is ${await permissionState(page, permission)})`);
}

export async function sendChat(page: Page, text: string): Promise<void> {
  const input = await byRole(page, 'textbox', 'Chat message');
  await input.type(text);
  await input.press('Enter');
}

export async function waitChat(page: Page, text: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const all = await texts(page, '[data-testid="chat-messages"] li[data-from="peer"]');
    if (all.some((t) => t.includes(text))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`chat message not seen: ${text}`);
}

export async function waitEnabled(el: ElementHandle<Element>): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (!(await el.evaluate((e) => (e as HTMLButtonElement).disabled))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const page = el.frame.page();
  const state = await page.evaluate(() => {
    const view = document.querySelector('rr-console-app')?.shadowRoot?.querySelector('rr-session-tabs')?.shadowRoot?.querySelector('rr-session-view') as
      | (Element & { session?: { phase: string; log: { text: string }[]; connectionState: string; peer: unknown } })
      | null;
    const s = view?.session;
    return s ? { phase: s.phase, conn: s.connectionState, peer: !!s.peer, log: s.log.map((l) => l.text) } : 'no session view';
  });
  throw new Error(`element stayed disabled; technician session: ${JSON.stringify(state)}`);
}
