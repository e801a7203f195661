import { expect } from 'chai';
import { median, p99 } from '../../bench/lib/stats.ts';
import { createLossyPath, lossyPathUnavailable, type LossyPath, type PingResult } from '../../testkit/lossy-path.ts';
import { measureFiles, measureInput, measureVideo, startLossySession, type FileFigures, type InputFigures, type LossySession, type VideoFigures } from '../../testkit/lossy-session.ts';
import { killAllNsPeers } from '../../testkit/ns-peers.ts';
import { FAULT_PASSWORD, makeDataDir, removeDataDir, startFaultServer, stopAll, technicianEmail } from './lib/fault-server.ts';
import { report } from './lib/report.ts';

/** One-way delay, each direction: a 50 ms round trip (what `netem delay 50ms` on one end of the veth gives). */
const DELAY_MS = 25;
const MiB = 1024 * 1024;
const LEVELS = [0.01, 0.05, 0.1] as const;
/**
 * The file each way at each loss level: 32 MiB, as issue 18 asks. SCTP's
 * congestion control moves ~2.2 / 0.95 / 0.74 Mbit/s at 1 / 5 / 10% loss on
 * this path (the bare data channel measures the same: docs/reliability.md),
 * so 32 MiB at 10% takes ~6 minutes; the three levels run at once, each on
 * its own path, to fit the suite's 15 minutes. LOSS_FILE_MIB picks another size.
 */
const FILE_BYTES = (process.env.LOSS_FILE_MIB ? Number(process.env.LOSS_FILE_MIB) : 32) * MiB;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One loss level's own path, server and session. */
type Level = { loss: number; path: LossyPath; session: LossySession; dataDir: string };
type Measured = { ping: PingResult; shimLossPct: number; overflow: number; video: VideoFigures; input: InputFigures; files: FileFigures[]; ms: number };
type Outcome = { ok: true; m: Measured } | { ok: false; error: unknown };

async function startLevel(loss: number): Promise<Level> {
  const dataDir = makeDataDir();
  const path = await createLossyPath(0, DELAY_MS);
  try {
    const server = await startFaultServer({ DATA_DIR: dataDir, FAULT_TECHNICIANS: '1' }, path.namespaces.router);
    const session = await startLossySession(path, server, { email: technicianEmail(0), password: FAULT_PASSWORD });
    return { loss, path, session, dataDir };
  } catch (error) {
    await path.close();
    removeDataDir(dataDir);
    throw error;
  }
}

/** The scenario at one level: ping through the shim, 8 s of video, 100 strokes of input, then 32 MiB each way at once. */
async function measureLevel({ loss, path, session }: Level): Promise<Measured> {
  const started = performance.now();
  await path.set(loss, DELAY_MS);
  const before = await path.stats();
  const ping = await path.ping(300, 0.01);
  const video = await measureVideo(session, 8000);
  const input = await measureInput(session, 100);
  const files = await measureFiles(session, FILE_BYTES, `${loss}`);
  const after = await path.stats();
  return {
    ping,
    shimLossPct: (100 * (after.dropped - before.dropped)) / Math.max(1, after.received - before.received),
    overflow: after.overflow - before.overflow,
    video,
    input,
    files,
    ms: performance.now() - started,
  };
}

describe('faults: packet loss and delay between customer and technician (network namespaces, userspace netem)', function () {
  this.timeout(900_000);
  const levels = new Map<number, Level>();
  const outcomes = new Map<number, Promise<Outcome>>();

  before(async function () {
    const missing = lossyPathUnavailable();
    if (missing) {
      report('loss', { skipped: missing });
      this.skip();
    }
    // Each level on its own namespaces, shim and server, all three at once: at ~1 Mbit/s a path costs little CPU.
    const started = await Promise.allSettled(LEVELS.map(startLevel));
    for (const s of started) if (s.status === 'fulfilled') levels.set(s.value.loss, s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const level of levels.values()) {
      outcomes.set(
        level.loss,
        measureLevel(level).then(
          (m): Outcome => ({ ok: true, m }),
          (error: unknown): Outcome => ({ ok: false, error }),
        ),
      );
    }
  });
  after(async () => {
    await Promise.allSettled(outcomes.values());
    await Promise.allSettled([...levels.values()].map((l) => l.session.close()));
    killAllNsPeers();
    await stopAll();
    for (const level of levels.values()) {
      await level.path.close();
      removeDataDir(level.dataDir);
    }
  });

  const levelTest = (loss: number): void => {
    const pct = `${loss * 100}%`;
    it(`at ${pct} loss and ${2 * DELAY_MS} ms round trip: video stays live, input arrives in order with no key stuck, ${FILE_BYTES / MiB} MiB each way arrives with 0 corrupted bytes`, async () => {
      const outcome = await outcomes.get(loss);
      if (!outcome) throw new Error(`no scenario ran at ${pct}`);
      if (!outcome.ok) throw outcome.error;
      const { ping, video, input, files } = outcome.m;
      const expectedPingLoss = 100 * (1 - (1 - loss) ** 2);
      report(`loss ${pct}`, {
        'ping rtt ms min/avg/max': `${ping.rttMinMs.toFixed(1)}/${ping.rttAvgMs.toFixed(1)}/${ping.rttMaxMs.toFixed(1)}`,
        'ping loss %': `${ping.lossPct.toFixed(1)} (expected ${expectedPingLoss.toFixed(1)})`,
        'shim dropped %': outcome.m.shimLossPct.toFixed(2),
        'shim overflow': outcome.m.overflow,
        'video fps': video.fps.toFixed(1),
        'longest gap ms': video.maxGapMs.toFixed(0),
        'glass to glass ms p50/p99': video.glassToGlassMs.length ? `${median(video.glassToGlassMs).toFixed(0)}/${p99(video.glassToGlassMs).toFixed(0)}` : 'none',
        'input sent/arrived': `${input.sent}/${input.arrived}`,
        'input in order': String(input.inOrder),
        'keys held after': input.stuck.length,
        ...Object.fromEntries(
          files.map((f) => [
            `file ${f.direction}`,
            `${f.bytes / MiB} MiB ${f.ok ? 'ok' : f.code} in ${(f.ms / 1000).toFixed(1)} s (${f.mbps.toFixed(2)} Mbit/s, ${((f.bytes / MiB) / (f.ms / 1000)).toFixed(3)} MiB/s), sha256 ${f.sha256Match ? 'match' : 'MISMATCH'}, corrupted ${f.corruptedBytes}`,
          ]),
        ),
        'scenario s': (outcome.m.ms / 1000).toFixed(0),
      });
      // What the shim does, seen by ping: round-trip loss 1-(1-p)^2, RTT 2x the one-way delay.
      expect(ping.rttMinMs, 'ping RTT').to.be.within(2 * DELAY_MS, 2 * DELAY_MS + 30);
      expect(Math.abs(ping.lossPct - expectedPingLoss), `ping loss ${ping.lossPct}% against ${expectedPingLoss}%`).to.be.below(8);
      expect(video.frames, 'frames arrived').to.be.greaterThan(0);
      expect(video.maxGapMs, 'the longest time without a frame').to.be.below(2000);
      expect(video.glassToGlassMs.length, 'marker changes seen').to.be.greaterThan(10);
      expect(input.arrived, 'input messages').to.equal(input.sent);
      expect(input.inOrder, 'input in order').to.equal(true);
      expect(input.stuck, 'keys still held on the customer’s side').to.deep.equal([]);
      expect(files.map((f) => f.direction)).to.have.members(['technician → customer', 'customer → technician']);
      for (const f of files) {
        expect(f.bytes, `${f.direction} size`).to.equal(FILE_BYTES);
        expect(f.ok ? 'ok' : f.code, f.direction).to.equal('ok');
        expect(f.sha256Match, `${f.direction} SHA-256`).to.equal(true);
        expect(f.corruptedBytes, `${f.direction} corrupted bytes`).to.equal(0);
      }
    });
  };

  // 1% finishes first; the dark path runs on its path while 5% and 10% still move their files.
  levelTest(0.01);

  it('a key held when the path goes dark is released on the customer’s side; the session carries on when the path is back', async () => {
    await outcomes.get(0.01);
    const level = levels.get(0.01);
    if (!level) throw new Error('no 1% path');
    const { path: p, session: s } = level;
    await p.set(0, DELAY_MS);
    await s.tech.call('keyDown', { code: 'ShiftLeft' });
    const deadline = Date.now() + 10_000;
    let held: string[] = [];
    while (Date.now() < deadline) {
      held = (await s.cust.call<{ held: string[] }>('injected')).held;
      if (held.includes('ShiftLeft')) break;
      await sleep(20);
    }
    expect(held, 'Shift down on the customer’s side').to.include('ShiftLeft');
    const darkAt = performance.now();
    await p.set(1, DELAY_MS);
    const lost = await s.cust.waitEvent((e) => e.event === 'connection' && e.state !== 'connected' && e.at !== undefined && Number(e.at) > performance.timeOrigin + darkAt, 'the customer’s connection leaving connected', 30_000);
    const releasedMs = performance.timeOrigin + performance.now() - Number(lost.at);
    const after = (await s.cust.call<{ held: string[]; releaseAlls: number }>('injected')).held;
    await p.set(0, DELAY_MS);
    const backAt = performance.now();
    // Back when a chat line crosses again (wrtc does not always fire `connected` after an ICE restart).
    let chat = false;
    for (let n = 0; !chat && performance.now() - backAt < 60_000; n++) {
      const text = `after the dark path ${n}`;
      if (await s.tech.call<boolean>('chat', { text })) {
        chat = await s.cust.waitEvent((e) => e.event === 'chat' && e.text === text, 'the chat line after', 1000).then(
          () => true,
          () => false,
        );
      } else {
        await sleep(250);
      }
    }
    const backMs = performance.now() - backAt;
    report('loss dark path', {
      'customer saw': String(lost.state),
      'after dark ms': (Number(lost.at) - performance.timeOrigin - darkAt).toFixed(0),
      'keys held then': after.length ? after.join('+') : 'none',
      'checked ms after': releasedMs.toFixed(0),
      'chat crossed again after path back ms': backMs.toFixed(0),
      'chat after': String(chat),
    });
    expect(after, 'keys still held while the technician cannot reach the customer').to.deep.equal([]);
    expect(chat, 'the session carries on when the path is back').to.equal(true);
  });

  levelTest(0.05);
  levelTest(0.1);
});
