import { expect } from 'chai';
import { quantile } from '../../bench/lib/stats.ts';
import { sleep, until } from '../../testkit/wait.ts';
import { loginMany, makeDataDir, removeDataDir, startFaultServer, stopAll, type FaultServer } from './lib/fault-server.ts';
import { is, type LoadSocket } from './lib/load-client.ts';
import { report } from './lib/report.ts';
import { customerAddress, numberedSignal, openConsole, SignalLedger, startSession, type LiveSession } from './lib/sessions.ts';

/** The bound under test (WS_SEND_BUFFER_BYTES), small so the test fills it quickly. */
const BOUND = 1024 * 1024;
const PAIRS = 10;
/** A flood of offer-sized signals (30 KB, under the 32 KiB SDP limit), within each customer's message budget. */
const SDP = `v=0\r\n${'a=x-fill:0123456789abcdef0123456789abcdef0123456789abcdef\r\n'.repeat(500)}`;
const FLOOD_PER_TICK = 4;
const TICK_MS = 50;
const FLOOD_MAX_MS = 10_000;

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

describe('faults: a console that stops reading', function () {
  this.timeout(180_000);
  // Made in a hook, so a describe that --grep skips leaves no folder behind.
  let dataDir = '';
  let server: FaultServer;
  let cookies: string[];
  const open: LoadSocket[] = [];

  before(async () => {
    dataDir = makeDataDir();
    server = await startFaultServer({ DATA_DIR: dataDir, FAULT_TECHNICIANS: '2', WS_SEND_BUFFER_BYTES: String(BOUND), RECONNECT_GRACE_SECONDS: '60' });
    cookies = await loginMany(server, 2);
  });
  after(async () => {
    for (const socket of open.splice(0)) socket.drop();
    await stopAll();
    if (dataDir) removeDataDir(dataDir);
  });

  it('is cut once its send buffer passes WS_SEND_BUFFER_BYTES; memory stays bounded, other sessions flow, and it resumes cleanly', async () => {
    const [slowCookie, healthyCookie] = cookies as [string, string];
    const slow = await openConsole(server, slowCookie);
    const healthy = await openConsole(server, healthyCookie);
    open.push(slow, healthy);
    const slowSessions: LiveSession[] = [];
    const healthySessions: LiveSession[] = [];
    for (let k = 0; k < PAIRS; k++) {
      slowSessions.push(await startSession(server, slow, `slow${k}`, customerAddress(k)));
      healthySessions.push(await startSession(server, healthy, `ok${k}`, customerAddress(PAIRS + k)));
    }
    open.push(...slowSessions.map((s) => s.customer), ...healthySessions.map((s) => s.customer));
    const ledger = new SignalLedger();
    healthy.onMessage = ledger.take('to-technician');
    for (const s of healthySessions) s.customer.onMessage = ledger.take('to-customer');
    const rssBefore = await server.rss();

    // The slow console stops reading: its kernel buffers fill, then the server's send buffer.
    slow.ws.pause();
    let cut = false;
    void Promise.all(slowSessions.map((s) => s.customer.next(is('session.state', { state: 'suspended', reason: 'technician_lost' }), 'suspended', FLOOD_MAX_MS + 5000))).then(
      () => {
        cut = true;
      },
      () => undefined,
    );
    const floodStart = performance.now();
    let flooded = 0;
    let peakRss = rssBefore;
    let seq = 0;
    while (!cut && performance.now() - floodStart < FLOOD_MAX_MS) {
      for (const s of slowSessions) {
        for (let i = 0; i < FLOOD_PER_TICK; i++) {
          const message = JSON.stringify({ type: 'signal', sessionId: s.sessionId, data: { kind: 'description', description: { type: 'offer', sdp: SDP } } });
          s.customer.ws.send(message);
          flooded += message.length;
        }
      }
      // Meanwhile the other technician's sessions keep signaling.
      healthySessions.forEach((s) => {
        s.customer.send(numberedSignal(s.sessionId, seq));
        healthy.send(numberedSignal(s.sessionId, seq));
      });
      seq++;
      if (seq % 10 === 0) peakRss = Math.max(peakRss, await server.rss(false));
      await sleep(TICK_MS);
    }
    const floodMs = performance.now() - floodStart;
    peakRss = Math.max(peakRss, await server.rss(false));
    await until(() => healthySessions.every((s) => ledger.received('to-customer', s.sessionId) === seq && ledger.received('to-technician', s.sessionId) === seq), 'the healthy signals', 30_000);
    const rssAfter = await server.rss();

    // It reads again: what was buffered arrives, then the cut; it reconnects with its cookie.
    expect(cut, `the slow console was cut (flooded ${mib(flooded)} MiB in ${(floodMs / 1000).toFixed(1)} s, server RSS ${mib(rssBefore)} -> ${mib(peakRss)} MiB)`).to.equal(true);
    slow.ws.resume();
    const closedWith = await within(slow.closed, 30_000, 'the slow console seeing its socket closed');
    const resumeStart = performance.now();
    const back = await openConsole(server, slowCookie);
    open.push(back);
    await Promise.all(slowSessions.map((s) => s.customer.next(is('session.state', { sessionId: s.sessionId, state: 'active', reason: 'reconnected' }), 'resumed')));
    const resumeMs = performance.now() - resumeStart;
    const afterLedger = new SignalLedger();
    back.onMessage = afterLedger.take('to-technician');
    for (const s of slowSessions) s.customer.onMessage = afterLedger.take('to-customer');
    for (const s of slowSessions) {
      back.send(numberedSignal(s.sessionId, 0));
      s.customer.send(numberedSignal(s.sessionId, 0));
    }
    await until(() => afterLedger.latencies.length === 2 * PAIRS, 'a signal each way after the resume', 10_000).catch(() => undefined);

    report('slow consumer', {
      'bound MiB': mib(BOUND),
      'flooded MiB': mib(flooded),
      'cut after s': cut ? (floodMs / 1000).toFixed(2) : 'never',
      'close code seen by the console': closedWith.code,
      'RSS before MiB': mib(rssBefore),
      'RSS peak MiB': mib(peakRss),
      'RSS after MiB': mib(rssAfter),
      'other sessions signals': ledger.latencies.length,
      'other lost': 2 * PAIRS * seq - ledger.latencies.length,
      'other reordered': ledger.reordered,
      'other p99 ms': quantile(ledger.latencies, 0.99).toFixed(1),
      'resumed after ms': resumeMs.toFixed(0),
      'signals after resume': afterLedger.latencies.length,
    });
    expect(peakRss - rssBefore, 'server memory growth while flooded').to.be.below(Math.max(64 * 1024 * 1024, flooded / 4));
    expect(ledger.latencies.length, 'other sessions lost nothing').to.equal(2 * PAIRS * seq);
    expect(ledger.reordered).to.equal(0);
    expect(afterLedger.latencies.length, 'signaling after the resume').to.equal(2 * PAIRS);
    expect(healthy.errors.concat(back.errors)).to.deep.equal([]);
  });
});
