/**
 * Time to first frame: from the customer submitting the code to the first
 * decoded frame presented in the technician's console (requestVideoFrameCallback
 * in headless Chromium), for the agent path (the real agent under Xvfb) and the
 * browser-share path (the real customer page, fake getDisplayMedia source).
 * The technician is the real console driven by an in-page script that clicks
 * at once, so the figure is the system's share of the wait, not a human's.
 * Reference: the same browser connecting two RTCPeerConnections in one page
 * and showing the first frame of a fake display capture (no server, no UI).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { spawnAgent } from '../testkit/node-technician.ts';
import { startXvfb } from '../testkit/xvfb.ts';
import { median } from './lib/stats.ts';
import type { BenchRow } from './lib/table.ts';
import { NAME_SHIM, createCode, openConsole, openCustomer, startWebBench, waitFirstFrame, type WebBench } from './lib/web-bench.ts';

const GROUP = 'first frame';

type Sample = { total: number; toStart: number; toTrack: number; toFrame: number };

/** One run of the agent path; t0 is when the agent prints that it is about to submit the code. */
async function agentRun(bench: WebBench, display: string): Promise<Sample> {
  const ctx = await bench.browser.createBrowserContext();
  const downloads = mkdtempSync(join(tmpdir(), 'rr-bench-ff-'));
  const page = await openConsole(bench, ctx);
  const code = await createCode(page);
  const agent = spawnAgent(['--server', bench.srv.url, '--code', code, '--display', display, '--download-dir', downloads, '--auto-grant', 'view', '--no-prompt', '--fps', '30']);
  let t0 = 0;
  agent.child.stdout?.on('data', (chunk: Buffer) => {
    if (!t0 && chunk.toString().includes('Relay Rescue agent:')) t0 = Date.now();
  });
  try {
    const rec = await waitFirstFrame(page, 30_000);
    if (!t0) throw new Error('the agent never printed its start line');
    return split(t0, rec);
  } finally {
    await agent.kill();
    await ctx.close();
    rmSync(downloads, { recursive: true, force: true });
  }
}

/** One run of the browser-share path; t0 is the click on Start in the customer page. */
async function browserRun(bench: WebBench): Promise<Sample> {
  const techCtx = await bench.browser.createBrowserContext();
  const custCtx = await bench.browser.createBrowserContext();
  try {
    const page = await openConsole(bench, techCtx);
    const code = await createCode(page);
    const customer = await openCustomer(bench, custCtx, code);
    const t0 = await customer.submit();
    const rec = await waitFirstFrame(page, 30_000);
    return split(t0, rec);
  } finally {
    await techCtx.close();
    await custCtx.close();
  }
}

function split(t0: number, rec: { startClickedAt: number | null; trackAt: number | null; firstFrameAt: number | null }): Sample {
  const frame = rec.firstFrameAt ?? Number.NaN;
  return {
    total: frame - t0,
    toStart: (rec.startClickedAt ?? Number.NaN) - t0,
    toTrack: (rec.trackAt ?? Number.NaN) - (rec.startClickedAt ?? Number.NaN),
    toFrame: frame - (rec.trackAt ?? Number.NaN),
  };
}

/** The floor: two peer connections in one page, fake display capture, to the first presented frame. */
async function loopbackRun(page: Page): Promise<number> {
  await page.evaluate(NAME_SHIM);
  return page.evaluate(async () => {
    const t0 = performance.now();
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true });
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    a.onicecandidate = (e) => void (e.candidate && b.addIceCandidate(e.candidate));
    b.onicecandidate = (e) => void (e.candidate && a.addIceCandidate(e.candidate));
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    document.body.append(video);
    const shown = new Promise<number>((resolve) => {
      b.ontrack = (e) => {
        video.srcObject = e.streams[0] ?? new MediaStream([e.track]);
        video.requestVideoFrameCallback((now) => resolve(now));
        void video.play();
      };
    });
    for (const track of stream.getTracks()) a.addTrack(track, stream);
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription!);
    const at = await Promise.race([shown, new Promise<number>((r) => setTimeout(() => r(Number.NaN), 15_000))]);
    for (const track of stream.getTracks()) track.stop();
    a.close();
    b.close();
    video.remove();
    return at - t0;
  });
}

export async function runFirstFrame({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const runs = quick ? 3 : 7;
  const bench = await startWebBench();
  const xvfb = await startXvfb(1280, 720);
  const agent: Sample[] = [];
  const browser: Sample[] = [];
  const floor: number[] = [];
  const errors: string[] = [];
  try {
    const ctx = await bench.browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.goto(`${bench.srv.url}/`);
    for (let i = 0; i < runs; i++) floor.push(await loopbackRun(page));
    await ctx.close();
    for (let i = 0; i < runs; i++) {
      try {
        agent.push(await agentRun(bench, xvfb.display));
      } catch (err) {
        errors.push(`agent: ${(err as Error).message.split('\n')[0]}`);
      }
      try {
        browser.push(await browserRun(bench));
      } catch (err) {
        errors.push(`browser: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    await xvfb.stop();
    await bench.close();
  }
  for (const e of errors) console.error(`  first-frame: ${e}`);
  if (agent.length === 0 && browser.length === 0) throw new Error(`no run produced a frame: ${errors.join('; ')}`);
  const reference = { name: 'in-page loopback, fake display', value: median(floor) };
  const rows: BenchRow[] = [];
  for (const [label, samples] of [['agent path', agent], ['browser-share path', browser]] as const) {
    if (samples.length === 0) continue;
    const m = (k: keyof Sample): number => median(samples.map((s) => s[k]));
    rows.push({
      group: GROUP,
      name: `${label}: code submitted → first frame, median`,
      value: m('total'),
      unit: 'ms',
      reference,
      note: `${samples.length}/${runs} runs; submit→queued+start ${m('toStart').toFixed(0)}, start→track ${m('toTrack').toFixed(0)}, track→frame ${m('toFrame').toFixed(0)} ms`,
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('./lib/table.ts');
  console.log(renderTable(await runFirstFrame({ quick: process.argv.includes('--quick') })));
  process.exit(0);
}
