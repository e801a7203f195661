/**
 * The sending page's pieces of a browser → agent file transfer, one at a time
 * in headless Chromium (docs/performance.md, 2026-12-06):
 * - does `RTCDataChannel.send` copy a frame before it returns (so the sender
 *   may build the next frame in the same buffer)? 200 frames of 65,556 bytes
 *   from one buffer, overwritten after each send, checked on arrival;
 * - the digest of a 64 MiB file: WebCrypto over the whole, hash-wasm's and
 *   rtc/sha256.ts's incremental SHA-256 in 1 MiB updates, and the gathering copy;
 * - reading a 64 MiB File: `slice().arrayBuffer()` per 1 MiB and per 4 MiB,
 *   and `File.stream()` assembled into 4 MiB blocks (wall time and the CPU of
 *   all Chromium's processes, from /proc).
 *
 *   npx tsx bench/file-page-costs.ts [rounds=4]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import puppeteer from 'puppeteer-core';
import { CHROMIUM } from '../testkit/chromium.ts';

const rounds = Number(process.argv[2] ?? 4);
const MIB = 64;

const js = (await build({ entryPoints: [new URL('./pages/file-page-costs-page.ts', import.meta.url).pathname], bundle: true, format: 'esm', platform: 'browser', write: false, target: 'es2022', logLevel: 'error' })).outputFiles[0]!.text;
const server = createServer((req, res) => {
  if (req.url === '/p.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
  else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>file page costs</title><script type="module" src="/p.js"></script>');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });

/** CPU ms (utime + stime) of Chromium's processes. */
function chromiumCpuMs(): number {
  const root = browser.process()?.pid;
  if (root === undefined) return 0;
  const children = new Map<number, number[]>();
  const stat = (pid: number | string): string[] | null => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    } catch {
      return null;
    }
  };
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = stat(d);
    if (f) children.set(Number(f[1]), [...(children.get(Number(f[1])) ?? []), Number(d)]);
  }
  let ms = 0;
  for (const stack = [root]; stack.length; ) {
    const p = stack.pop()!;
    const f = stat(p);
    if (f) ms += (Number(f[11]) + Number(f[12])) * 10;
    stack.push(...(children.get(p) ?? []));
  }
  return ms;
}

type Costs = {
  sendCopies(): Promise<{ frames: number; intact: number; inOrder: boolean; queuedBytes: number }>;
  digest(mib: number): Promise<Record<string, number>>;
  prepareFile(mib: number): void;
  read(how: 'slice' | 'stream', blockMib: number): Promise<number>;
};
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[pageerror] ${String(e)}`));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => 'costs' in window, { timeout: 10_000 });
  const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`load ${load()}`);
  console.log(`send copies: ${JSON.stringify(await page.evaluate(() => (window as unknown as { costs: Costs }).costs.sendCopies()))}`);
  const digests: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [k, v] of Object.entries(await page.evaluate((m) => (window as unknown as { costs: Costs }).costs.digest(m), MIB))) (digests[k] ??= []).push(Math.round(v));
  }
  console.log(`digest of ${MIB} MiB, ms: ${Object.entries(digests).map(([k, v]) => `${k} ${v.join(', ')}`).join('; ')}`);
  await page.evaluate((m) => (window as unknown as { costs: Costs }).costs.prepareFile(m), MIB);
  const reads: Record<string, string[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [k, how, block] of [
      ['slice 1 MiB', 'slice', 1],
      ['slice 4 MiB', 'slice', 4],
      ['stream into 4 MiB', 'stream', 4],
    ] as const) {
      const cpu0 = chromiumCpuMs();
      const ms = await page.evaluate((h, b) => (window as unknown as { costs: Costs }).costs.read(h, b), how, block);
      (reads[k] ??= []).push(`${Math.round(ms)} ms (CPU ${chromiumCpuMs() - cpu0})`);
    }
  }
  console.log(`reading a ${MIB} MiB File: ${Object.entries(reads).map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ')}`);
  console.log(`load ${load()}`);
} finally {
  await browser.close();
  server.close();
}
