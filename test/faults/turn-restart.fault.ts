import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MemorySink, memorySource } from '../../rtc/memory-file.ts';
import { createTechnician, loginCookie, startTestServer, type RunningServer } from '../../testkit/server.ts';
import { until } from '../../testkit/wait.ts';
import { startCoturn, type Coturn } from '../turn/helpers/coturn.ts';
import { chatRoundTrip, enginePair, type EnginePair } from './lib/engines.ts';
import { report } from './lib/report.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const downMs of (process.env.TURN_DOWN_MS ? [Number(process.env.TURN_DOWN_MS)] : [2000, 12_000])) {
  describe(`faults: the TURN relay restarted during a relayed session (down ${downMs / 1000} s)`, function () {
    this.timeout(180_000);
    let coturn: Coturn | null = null;
    let server: RunningServer | null = null;
    let pair: EnginePair | null = null;
    const sinks: MemorySink[] = [];

    before(async () => {
      coturn = await startCoturn();
      server = await startTestServer({ TURN_URLS: `${coturn.urls.udp},${coturn.urls.tcp}`, TURN_SECRET: coturn.secret, TURN_TTL_SECONDS: '600' }, { plugins: [] });
      await createTechnician(server, { email: 'turn@example.test', password: 'password-turn-restart', name: 'Turn' });
    });
    after(async () => {
      pair?.close();
      await server?.close();
      await coturn?.stop();
    });

    it('the session recovers through the relay once coturn is back (ICE restart, fresh credentials), chat and files work after', async () => {
      const s = server!;
      const cookie = await loginCookie(s, 'turn@example.test', 'password-turn-restart');
      pair = await enginePair({ wsUrl: s.wsUrl, origin: s.publicUrl }, cookie, {
        grant: ['files'],
        forceRelay: true,
        files: {
          sinkFactory: async (offer) => {
            const sink = new MemorySink(offer.size);
            sinks.push(sink);
            return sink;
          },
        },
      });
      const { tech, cust } = pair;
      await until(async () => (await tech.getConnectionFacts())?.path === 'relayed', 'the session relayed', 15_000, 100);
      const states: string[] = [];
      tech.on('connectionstatechange', (state) => states.push(`technician:${state}`));
      cust.on('connectionstatechange', (state) => states.push(`customer:${state}`));
      const before = await chatRoundTrip(tech, cust, 'before the relay restart');
      const { port, relayPorts, secret } = coturn!;

      const downAt = performance.now();
      await coturn!.stop();
      await sleep(downMs);
      coturn = await startCoturn({ port, relayPorts, secret });
      const backAt = performance.now();
      // Back through the relay: the peer connection connected again and a chat line crosses.
      let chatAfter = NaN;
      await until(
        async () => {
          if (tech.peer?.connectionState !== 'connected' || cust.peer?.connectionState !== 'connected') return false;
          chatAfter = await chatRoundTrip(tech, cust, `after the relay restart ${performance.now().toFixed(0)}`, 2000).catch(() => NaN);
          return Number.isFinite(chatAfter);
        },
        'the session back through the relay',
        90_000,
        250,
      );
      const recoveredMs = performance.now() - backAt;
      const facts = await tech.getConnectionFacts();
      tech.requestPermission('files');
      await until(() => tech.permissions.isGranted('files'), 'files granted', 10_000);
      const data = randomBytes(1024 * 1024);
      const file = await tech.sendFile(memorySource('after-restart.bin', data)).done;
      const techLog = tech.log.entries().map((e) => e.text);
      report(`turn restart (down ${downMs / 1000} s)`, {
        'chat before ms': before.toFixed(0),
        'relay down s': ((backAt - downAt) / 1000).toFixed(1),
        'recovered after relay back ms': recoveredMs.toFixed(0),
        'path after': `${facts?.path} ${facts?.localCandidateType}/${facts?.remoteCandidateType}`,
        'chat after ms': chatAfter.toFixed(0),
        'file after': file.ok ? 'verified' : file.code,
        states: states.join(' '),
        'technician log': techLog.filter((t) => /Connection|Restarting|relay/.test(t)).join(' | '),
      });
      expect(facts?.path, 'the path after the restart').to.equal('relayed');
      expect(file.ok, JSON.stringify(file)).to.equal(true);
      expect(sha(sinks.at(-1)!.bytes())).to.equal(sha(data));
      expect(tech.closed || cust.closed, 'neither side closed').to.equal(false);
    });
  });
}

/**
 * A self-hoster rotates the shared secret: coturn is stopped, TURN_SECRET_FILE
 * is rewritten, coturn starts with the new secret. The credentials both sides
 * hold were minted with the old one and are refused (401), so the session can
 * only come back if both sides fetch fresh ones (ice.refresh) from a server
 * that has re-read the file.
 */
describe('faults: the TURN relay restarted with a rotated secret (TURN_SECRET_FILE rewritten)', function () {
  this.timeout(180_000);
  let coturn: Coturn | null = null;
  let server: RunningServer | null = null;
  let pair: EnginePair | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'rr-turn-secret-'));
  const secretFile = join(dir, 'turn-secret');
  const oldSecret = randomBytes(24).toString('hex');
  const newSecret = randomBytes(24).toString('hex');
  const downMs = Number(process.env.TURN_DOWN_MS ?? 2000);

  before(async () => {
    writeFileSync(secretFile, `${oldSecret}\n`, { mode: 0o600 });
    coturn = await startCoturn({ secret: oldSecret });
    server = await startTestServer({ TURN_URLS: `${coturn.urls.udp},${coturn.urls.tcp}`, TURN_SECRET_FILE: secretFile, TURN_TTL_SECONDS: '600' }, { plugins: [] });
    await createTechnician(server, { email: 'rotate@example.test', password: 'password-turn-rotate', name: 'Rotate' });
  });
  after(async () => {
    pair?.close();
    await server?.close();
    await coturn?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('both sides get credentials from the new secret and the session recovers through the relay', async () => {
    const s = server!;
    const cookie = await loginCookie(s, 'rotate@example.test', 'password-turn-rotate');
    pair = await enginePair({ wsUrl: s.wsUrl, origin: s.publicUrl }, cookie, { forceRelay: true });
    const { tech, cust } = pair;
    await until(async () => (await tech.getConnectionFacts())?.path === 'relayed', 'the session relayed', 15_000, 100);
    const states: string[] = [];
    tech.on('connectionstatechange', (state) => states.push(`technician:${state}`));
    cust.on('connectionstatechange', (state) => states.push(`customer:${state}`));
    const before = await chatRoundTrip(tech, cust, 'before the rotation');
    const { port, relayPorts } = coturn!;

    const downAt = performance.now();
    await coturn!.stop();
    writeFileSync(secretFile, `${newSecret}\n`, { mode: 0o600 });
    await sleep(downMs);
    coturn = await startCoturn({ port, relayPorts, secret: newSecret });
    const backAt = performance.now();
    let chatAfter = NaN;
    await until(
      async () => {
        if (tech.peer?.connectionState !== 'connected' || cust.peer?.connectionState !== 'connected') return false;
        chatAfter = await chatRoundTrip(tech, cust, `after the rotation ${performance.now().toFixed(0)}`, 2000).catch(() => NaN);
        return Number.isFinite(chatAfter);
      },
      'the session back through the relay with the new secret',
      90_000,
      250,
    );
    const recoveredMs = performance.now() - backAt;
    const facts = await tech.getConnectionFacts();
    const custFacts = await cust.getConnectionFacts();
    const techLog = tech.log.entries().map((e) => e.text);
    report('turn restart with a rotated secret', {
      'chat before ms': before.toFixed(0),
      'relay down s': ((backAt - downAt) / 1000).toFixed(1),
      'recovered after relay back ms': recoveredMs.toFixed(0),
      'path after': `technician ${facts?.path} ${facts?.localCandidateType}/${facts?.remoteCandidateType}, customer ${custFacts?.path}`,
      'chat after ms': chatAfter.toFixed(0),
      states: states.join(' '),
      'technician log': techLog.filter((t) => /Connection|Restarting|relay/.test(t)).join(' | '),
    });
    expect(facts?.path, 'the path after the rotation').to.equal('relayed');
    expect(custFacts?.path, "the customer's path after the rotation").to.equal('relayed');
    expect(tech.closed || cust.closed, 'neither side closed').to.equal(false);
  });
});
