import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import type { Browser, BrowserContext, ElementHandle, Page } from 'puppeteer-core';
import type { RunningServer, StartOptions } from '../signaling/server.ts';
import { CHROMIUM } from './chromium.ts';
import { createTechnician as createAccount, startTestServer } from './server.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The production build the tests serve. Built once per test process into a
 * private folder (other work in the same tree may rebuild or empty dist/web
 * mid-run); RR_WEB_DIST points at an existing build instead.
 */
export let DIST = process.env['RR_WEB_DIST'] ?? '';

export function ensureBuilt(): string {
  if (DIST && fs.existsSync(path.join(DIST, 'index.html'))) return DIST;
  DIST = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-web-dist-'));
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error', '--outDir', DIST, '--emptyOutDir'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  process.once('exit', () => fs.rmSync(DIST, { recursive: true, force: true }));
  return DIST;
}

export type TestServer = { server: RunningServer; url: string; dir: string; close(): Promise<void> };

/** The real signaling server (test/helpers) on loopback port 0, a temp database, serving the built UI. */
export async function startWebServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-web-'));
  const server = await startTestServer({ DATA_DIR: dir, DATABASE_PATH: path.join(dir, 'test.db'), ...env }, { webRoot: DIST, ...opts });
  return {
    server,
    url: server.url,
    dir,
    close: async () => {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function createTechnician(server: RunningServer, email: string, name: string, password: string): Promise<void> {
  await createAccount(server, { email, name, password });
}

/**
 * A script for `page.evaluateOnNewDocument`: keeps every RTCPeerConnection the
 * page makes in `window.__rrPeerConnections`, so a test or the bench can read
 * the console's receivers and getStats without reaching into its internals.
 */
export const RECORD_PEER_CONNECTIONS = `(() => {
  const Native = window.RTCPeerConnection;
  window.__rrPeerConnections = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.__rrPeerConnections.push(this); }
  };
})()`;

/** One headless Chromium with fake media devices and the getDisplayMedia picker auto-accepted. */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function newPage(context: BrowserContext, width = 1280, height = 800): Promise<Page> {
  const page = await context.newPage();
  await page.setViewport({ width, height });
  // Every page behaves as the focused one, as each would in its own window: a test drives several pages of one
  // browser (technician, colleague, customer), and in Chromium's headless mode only one of them has focus.
  await page.emulateFocusedPage(true);
  page.on('pageerror', (err) => console.error(`[pageerror] ${String(err)}`));
  page.on('console', (msg) => {
    // HTTP error statuses (the /api/me probe, wrong codes) are expected; the UI shows them.
    if (process.env['RR_DEBUG'] === '1') console.error(`[console.${msg.type()}] ${msg.text()}`);
    else if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) console.error(`[console.error] ${msg.text()}`);
  });
  return page;
}

/** Polls a page function until it returns truthy (bounded). */
export async function waitForFn<T>(page: Page, fn: () => T | Promise<T>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  try {
    const handle = await page.waitForFunction(fn, { timeout: timeoutMs, polling: 100 });
    return (await handle.jsonValue()) as T;
  } catch (err) {
    throw new Error(`timed out waiting for ${what}: ${(err as Error).message}`);
  }
}

/** Finds an element by ARIA role and accessible name (pierces shadow roots). */
export async function byRole(page: Page, role: string, name: string, timeoutMs = 15_000): Promise<ElementHandle<Element>> {
  return pollFor(page, `::-p-aria([name="${name}"][role="${role}"])`, timeoutMs);
}

/** Clicks a control by role and accessible name once it is visible, enabled and not moving (puppeteer locator). */
export async function clickRole(page: Page, role: string, name: string, timeoutMs = 15_000): Promise<void> {
  await page.locator(`::-p-aria([name="${name}"][role="${role}"])`).setTimeout(timeoutMs).click();
}

/**
 * Finds an element by data-testid anywhere, shadow roots included. Polls:
 * waitForSelector's default MutationObserver does not see changes inside shadow roots.
 */
/** Opens the console at `url` and logs in through its form, as a technician would. */
export async function logInToConsole(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(`${url}/console`);
  await (await byRole(page, 'textbox', 'Email')).type(email);
  await (await pollFor(page, 'pierce/#password')).type(password);
  await clickRole(page, 'button', 'Log in');
}

export async function byTestId(page: Page, id: string, timeoutMs = 15_000): Promise<ElementHandle<Element>> {
  return pollFor(page, `pierce/[data-testid="${id}"]`, timeoutMs);
}

/** Polls `page.$(selector)` every 50 ms until it matches (bounded). */
export async function pollFor(page: Page, selector: string, timeoutMs = 15_000): Promise<ElementHandle<Element>> {
  const rounds = Math.ceil(timeoutMs / 50);
  for (let i = 0; i < rounds; i++) {
    const el = await page.$(selector);
    if (el) return el;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing matched ${selector} within ${timeoutMs} ms`);
}

/** Text content of every element matching a pierce selector. */
export async function texts(page: Page, selector: string): Promise<string[]> {
  const els = await page.$$(`pierce/${selector}`);
  return Promise.all(els.map((e) => e.evaluate((n) => (n.textContent ?? '').trim())));
}

const CONTROL_ROLES = new Set(['button', 'textbox', 'checkbox', 'link', 'tab', 'combobox', 'spinbutton', 'slider', 'radio', 'switch', 'searchbox']);

type AxNode = { role: string; name?: string; children?: AxNode[] };

/** Controls in the accessibility tree (shadow DOM included) that have no accessible name. */
export async function unnamedControls(page: Page): Promise<{ controls: number; unnamed: string[] }> {
  const root = (await page.accessibility.snapshot({ interestingOnly: true })) as AxNode | null;
  const unnamed: string[] = [];
  let controls = 0;
  const walk = (node: AxNode | undefined, trail: string): void => {
    if (!node) return;
    if (CONTROL_ROLES.has(node.role)) {
      controls++;
      if (!node.name || node.name.trim() === '') unnamed.push(`${node.role} in ${trail}`);
    }
    for (const child of node.children ?? []) walk(child, `${trail} > ${node.role}${node.name ? ` "${node.name.slice(0, 30)}"` : ''}`);
  };
  walk(root ?? undefined, 'page');
  return { controls, unnamed };
}

/**
 * Presses Tab through the page and returns the interactive elements (visible,
 * enabled, not roving tabindex=-1) that focus never reached.
 */
export async function unreachableByTab(page: Page): Promise<{ total: number; missed: string[] }> {
  // A string, not a function: tsx's keepNames would inject a `__name` helper the page lacks.
  const total = (await page.evaluate(`(() => {
    window.__rrAll = () => {
      const sel = 'button, input, a[href], select, textarea, [tabindex]';
      const out = [];
      const visit = (root) => {
        for (const el of root.querySelectorAll('*')) {
          if (el.matches(sel)) out.push(el);
          if (el.shadowRoot) visit(el.shadowRoot);
        }
      };
      visit(document);
      return out.filter((el) => {
        if (el.disabled || el.getAttribute('tabindex') === '-1' || el.type === 'hidden') return false;
        if (el.getClientRects().length === 0) return false;
        // Inside a closed <details> (content-visibility), or otherwise not rendered: not a control a person can reach.
        if (typeof el.checkVisibility === 'function' && !el.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true })) return false;
        return getComputedStyle(el).visibility !== 'hidden';
      });
    };
    window.__rrActive = () => {
      let a = document.activeElement;
      while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
      return a;
    };
    const count = window.__rrAll().length;
    // The walk goes from a first stop to a last one and never tabs out of the page (Chromium 156.0.8078.114 left the
    // page without focus when a walk wrapped round through the browser, and the caller's next clicks and typing went
    // nowhere: 9 console tests failed).
    const stop = (id) => {
      const el = document.createElement('span');
      el.id = id;
      el.tabIndex = 0;
      return el;
    };
    const start = stop('__rr-tab-start');
    start.__rrVisited = true;
    document.body.prepend(start);
    document.body.append(stop('__rr-tab-end'));
    start.focus();
    return count;
  })()`)) as number;
  const step = async (): Promise<{ atEnd: boolean; stayed: boolean }> =>
    page.evaluate(() => {
      const w = window as unknown as { __rrActive: () => (Element & { __rrVisited?: boolean }) | null; __rrLast?: Element | null };
      const el = w.__rrActive();
      const stayed = el !== null && el === w.__rrLast;
      w.__rrLast = el;
      if (el) el.__rrVisited = true;
      return { atEnd: el?.id === '__rr-tab-end', stayed };
    });
  await step();
  for (let i = 0; i < total + 8; i++) {
    await page.keyboard.press('Tab');
    const { atEnd, stayed } = await step();
    if (atEnd) break;
    // Tab stayed put: the remote screen under remote control sends Tab to the customer's computer, and its hint
    // names Ctrl+Alt+Escape as the way out, which a keyboard user presses. A trap that this does not open stays one.
    if (stayed) {
      await page.keyboard.down('Control');
      await page.keyboard.down('Alt');
      await page.keyboard.press('Escape');
      await page.keyboard.up('Alt');
      await page.keyboard.up('Control');
      await step();
    }
  }
  const missed = await page.evaluate(() => {
    const w = window as unknown as { __rrAll: () => (Element & { __rrVisited?: boolean })[] };
    return w.__rrAll()
      .filter((el) => !el.__rrVisited && !el.id.startsWith('__rr-tab-'))
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.textContent ?? el.getAttribute('aria-label') ?? '').trim().slice(0, 30)}"`);
  });
  await page.evaluate(() => {
    document.getElementById('__rr-tab-start')?.remove();
    document.getElementById('__rr-tab-end')?.remove();
    delete (window as unknown as { __rrLast?: Element | null }).__rrLast;
    (document.activeElement as HTMLElement | null)?.blur();
  });
  return { total, missed };
}

/** Screenshots go here (kept after the run so they can be looked at). */
export const SHOT_DIR = process.env['RR_SHOT_DIR'] ?? path.join(os.tmpdir(), 'rr-web-screenshots');

export async function screenshotAt(page: Page, name: string, width: number, height: number): Promise<string> {
  fs.mkdirSync(SHOT_DIR, { recursive: true });
  const before = page.viewport();
  await page.setViewport({ width, height });
  await new Promise((r) => setTimeout(r, 150));
  const file = path.join(SHOT_DIR, `${name}-${width}x${height}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  const culprits = overflow > 1 ? await widerThanViewport(page) : [];
  if (before) await page.setViewport(before);
  if (overflow > 1) throw new Error(`${name} at ${width}px scrolls sideways by ${overflow}px; widest: ${culprits.join(', ')}`);
  return file;
}

/** The innermost elements (shadow roots included) whose right edge lies past the viewport, to name in a failure. */
async function widerThanViewport(page: Page): Promise<string[]> {
  // A string, not a function: tsx's keepNames would inject a `__name` helper the page lacks.
  return (await page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    const visit = (root) => {
      for (const el of root.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        const inner = [...el.children].some((c) => c.getBoundingClientRect().right > width + 1);
        if (r.right > width + 1 && !inner && !el.shadowRoot) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '') + ' ' + Math.round(r.right));
        if (el.shadowRoot) visit(el.shadowRoot);
      }
    };
    visit(document);
    return out.slice(0, 8);
  })()`)) as string[];
}

/** Both screenshots of a screen (1280x800, 390x844), and its controls named and reachable with Tab. */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await screenshotAt(page, name, 1280, 800);
  await screenshotAt(page, name, 390, 844);
  expect((await unnamedControls(page)).unnamed, name).to.deep.equal([]);
  expect((await unreachableByTab(page)).missed, name).to.deep.equal([]);
}
