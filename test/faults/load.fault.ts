import { expect } from 'chai';
import { cpuSeconds } from '../../bench/lib/proc.ts';
import { quantile } from '../../bench/lib/stats.ts';
import { until } from '../../testkit/wait.ts';
import { loginMany, makeDataDir, removeDataDir, startFaultServer, stopAll, type FaultServer } from './lib/fault-server.ts';
import { is, type LoadSocket } from './lib/load-client.ts';
import { customerAddress, numberedSignal, openConsole, SignalLedger, startSession, type LiveSession } from './lib/sessions.ts';
import { report } from './lib/report.ts';

const SESSIONS = 1000;
const CONSOLES = 100;
const SIGNALS = 20;
/** Each side trickles its signals, as ICE candidates come: one every this many ms. */
const SIGNAL_EVERY_MS = 250;
const STORM = 200;
const GRACE_SECONDS = 30;

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

describe('faults: load through one server', function () {
  this.timeout(300_000);
  // Made in a hook, so a describe that --grep skips leaves no folder behind.
  let dataDir = '';
  let server: FaultServer;
  let cookies: string[];
  const open: LoadSocket[] = [];

  before(async () => {
    dataDir = makeDataDir();
    server = await startFaultServer({ DATA_DIR: dataDir, FAULT_TECHNICIANS: String(STORM), RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS) });
    cookies = await loginMany(server, STORM);
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.drop();
  });
  after(async () => {
    await stopAll();
    if (dataDir) removeDataDir(dataDir);
  });

  it(`${SESSIONS} sessions from ${CONSOLES} consoles, ${SIGNALS} signals each way: none lost or reordered, no error`, async () => {
    const idleRss = await server.rss();
    const ledger = new SignalLedger();
    const setupStart = performance.now();
    const consoles = await Promise.all(cookies.slice(0, CONSOLES).map((cookie) => openConsole(server, cookie)));
    open.push(...consoles);
    for (const tech of consoles) tech.onMessage = ledger.take('to-technician');
    const sessions: LiveSession[] = [];
    const perConsole = SESSIONS / CONSOLES;
    await Promise.all(
      consoles.map(async (tech, t) => {
        for (let k = 0; k < perConsole; k++) {
          const session = await startSession(server, tech, `s${k}`, customerAddress(t * perConsole + k));
          session.customer.onMessage = ledger.take('to-customer');
          open.push(session.customer);
          sessions.push(session);
        }
      }),
    );
    const setupMs = performance.now() - setupStart;
    const activeRss = await server.rss();

    const signalStart = performance.now();
    const serverCpuStart = cpuSeconds(server.pid);
    const ownCpuStart = process.cpuUsage();
    for (let seq = 0; seq < SIGNALS; seq++) {
      for (const session of sessions) {
        session.technician.send(numberedSignal(session.sessionId, seq));
        session.customer.send(numberedSignal(session.sessionId, seq));
      }
      await new Promise((resolve) => setTimeout(resolve, SIGNAL_EVERY_MS));
    }
    const everything = (): boolean =>
      sessions.every((s) => ledger.received('to-customer', s.sessionId) >= SIGNALS && ledger.received('to-technician', s.sessionId) >= SIGNALS);
    await until(everything, 'every signal', 60_000, 50).catch(() => undefined);
    const signalMs = performance.now() - signalStart;
    const serverCpu = cpuSeconds(server.pid) - serverCpuStart;
    const ownCpu = process.cpuUsage(ownCpuStart);
    let lost = 0;
    for (const s of sessions) lost += 2 * SIGNALS - ledger.received('to-customer', s.sessionId) - ledger.received('to-technician', s.sessionId);

    await Promise.all(
      sessions.map(async (s) => {
        s.technician.send({ type: 'session.end', id: `end-${s.sessionId}`, sessionId: s.sessionId });
        await s.customer.next(is('session.state', { sessionId: s.sessionId, state: 'closed', reason: 'technician_ended' }), 'closed');
        expect((await s.customer.closed).code).to.equal(4000);
      }),
    );
    const errors = [...consoles, ...sessions.map((s) => s.customer)].reduce((sum, socket) => sum + socket.errors.length, 0);
    report('load', {
      sessions: sessions.length,
      consoles: consoles.length,
      signals: ledger.latencies.length,
      lost,
      reordered: ledger.reordered,
      errors,
      'set-up s': (setupMs / 1000).toFixed(1),
      'signal phase s': (signalMs / 1000).toFixed(1),
      'server CPU s': serverCpu.toFixed(1),
      'clients CPU s': ((ownCpu.user + ownCpu.system) / 1e6).toFixed(1),
      'signal p50 ms': quantile(ledger.latencies, 0.5).toFixed(1),
      'signal p99 ms': quantile(ledger.latencies, 0.99).toFixed(1),
      'signal max ms': quantile(ledger.latencies, 1).toFixed(1),
      'RSS idle MiB': mib(idleRss),
      [`RSS with ${sessions.length} sessions MiB`]: mib(activeRss),
      'KiB per session': ((activeRss - idleRss) / 1024 / sessions.length).toFixed(1),
    });
    expect(sessions).to.have.length(SESSIONS);
    expect(lost, 'signals lost').to.equal(0);
    expect(ledger.reordered, 'signals out of order').to.equal(0);
    expect(errors, 'error replies').to.equal(0);
  });

  it(`reconnect storm: ${STORM} technicians drop at once and all are back within the ${GRACE_SECONDS} s grace period`, async () => {
    const consoles = await Promise.all(cookies.map((cookie) => openConsole(server, cookie)));
    const sessions = await Promise.all(consoles.map((tech, t) => startSession(server, tech, 'storm', customerAddress(SESSIONS + t))));
    open.push(...sessions.map((s) => s.customer));
    for (const tech of consoles) tech.drop();
    await Promise.all(sessions.map((s) => s.customer.next(is('session.state', { sessionId: s.sessionId, state: 'suspended', reason: 'technician_lost' }), 'suspended')));

    const stormStart = performance.now();
    const back = await Promise.all(cookies.map((cookie) => openConsole(server, cookie)));
    open.push(...back);
    await Promise.all(sessions.map((s) => s.customer.next(is('session.state', { sessionId: s.sessionId, state: 'active', reason: 'reconnected' }), 'resumed')));
    const stormMs = performance.now() - stormStart;

    // Signaling flows again on every resumed session, both ways.
    const ledger = new SignalLedger();
    for (const tech of back) tech.onMessage = ledger.take('to-technician');
    for (const s of sessions) s.customer.onMessage = ledger.take('to-customer');
    sessions.forEach((s, t) => {
      back[t]?.send(numberedSignal(s.sessionId, 0));
      s.customer.send(numberedSignal(s.sessionId, 0));
    });
    await until(() => ledger.latencies.length >= 2 * STORM, 'a signal each way on every resumed session', 30_000, 50).catch(() => undefined);
    back.forEach((tech) => tech.send({ type: 'session.list', id: 'after-storm' }));
    const lists = await Promise.all(back.map((tech) => tech.next(is('session.list', { ref: 'after-storm' }), 'session.list')));
    const active = lists.filter((list) => (list.sessions as Array<{ state: string }>).map((s) => s.state).join() === 'active').length;
    const errors = [...back, ...sessions.map((s) => s.customer)].reduce((sum, socket) => sum + socket.errors.length, 0);
    report('reconnect storm', {
      technicians: STORM,
      'all back after s': (stormMs / 1000).toFixed(2),
      'grace s': GRACE_SECONDS,
      'sessions active': active,
      'signals after': ledger.latencies.length,
      errors,
    });
    expect(active, 'sessions active after the storm').to.equal(STORM);
    expect(ledger.latencies.length, 'signals after the storm').to.equal(2 * STORM);
    expect(ledger.reordered).to.equal(0);
    expect(errors).to.equal(0);
    expect(stormMs, 'everyone back before a grace period ran out').to.be.below(GRACE_SECONDS * 1000);
  });
});
