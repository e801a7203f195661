import { expect } from 'chai';
import { until } from '../../testkit/wait.ts';
import { chatRoundTrip, enginePair, type EnginePair } from './lib/engines.ts';
import { loginFault, makeDataDir, removeDataDir, startFaultServer, stopAll, type FaultServer } from './lib/fault-server.ts';
import { report } from './lib/report.ts';

const GRACE_SECONDS = 30;

interface AuditTrail {
  session: { endReason: string | null; endedAt: number | null };
  events: { event: string; actor: { kind: string }; detail: string }[];
}

async function auditTrail(server: FaultServer, cookie: string, sessionId: string): Promise<AuditTrail> {
  const res = await fetch(`${server.url}/api/sessions/${sessionId}/audit`, { headers: { cookie } });
  return (await res.json()) as AuditTrail;
}

for (const how of ['SIGTERM', 'SIGKILL'] as const) {
  describe(`faults: the signaling server ${how === 'SIGTERM' ? 'stopped (SIGTERM)' : 'killed (SIGKILL)'} during an active session`, function () {
    this.timeout(120_000);
    // Made in a hook, so a describe that --grep skips leaves no folder behind.
    let dataDir = '';
    let pair: EnginePair | null = null;

    before(() => {
      dataDir = makeDataDir();
    });
    after(async () => {
      pair?.close();
      await stopAll();
      if (dataDir) removeDataDir(dataDir);
    });

    it('the peer connection carries on, both sides re-attach with their cookie and token, the session is restored, the audit has each row once', async () => {
      const env = { DATA_DIR: dataDir, FAULT_TECHNICIANS: '1', RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS) };
      let server = await startFaultServer(env);
      const cookie = await loginFault(server, 0);
      pair = await enginePair(server, cookie);
      const { tech, cust, custSig, techSig, sessionId } = pair;
      const techPeer = tech.peer;
      const custPeer = cust.peer;
      const custStates: string[] = [];
      custSig.on('session.state', (m) => custStates.push(`${m.state}/${m.reason}`));

      const downAt = performance.now();
      if (how === 'SIGTERM') await server.stop();
      else await server.kill();
      await until(() => !techSig.connected && !custSig.connected, 'both sides noticing the server is gone', 10_000);
      // While it is down, the peer connection carries on: chat both ways over the data channel.
      const chatWhileDown = [await chatRoundTrip(tech, cust, 'while the server is down'), await chatRoundTrip(cust, tech, 'still here')];

      server = await startFaultServer({ ...env, PORT: String(server.port) });
      const backAt = performance.now();
      // Whichever side is back last makes the session active again (the other is told `reconnected`).
      let states: string[] = [];
      await until(
        async () => {
          if (!techSig.connected || !custSig.connected) return false;
          const list = await techSig.request({ type: 'session.list' });
          states = list.type === 'session.list' ? list.sessions.map((s) => `${s.sessionId === sessionId ? 'this' : 'other'}:${s.state}`) : [];
          return states.join() === 'this:active';
        },
        'both sides re-attached and the session active again',
        20_000,
        100,
      );
      const reattachedMs = performance.now() - backAt;
      const chatAfter = [await chatRoundTrip(tech, cust, 'after the restart'), await chatRoundTrip(cust, tech, 'after the restart too')];
      const samePeers = tech.peer === techPeer && cust.peer === custPeer;

      await tech.end('done');
      await until(() => custStates.includes('closed/technician_ended'), 'the customer told the session ended', 10_000);
      const trail = await auditTrail(server, cookie, sessionId);
      const events = trail.events.map((e) => e.event);
      const count = (name: string): number => events.filter((e) => e === name).length;
      report(`server ${how}`, {
        'server down s': ((backAt - downAt) / 1000).toFixed(1),
        'chat while down ms': chatWhileDown.map((ms) => ms.toFixed(0)).join('/'),
        're-attached after server up ms': reattachedMs.toFixed(0),
        'same peer connections': String(samePeers),
        'chat after ms': chatAfter.map((ms) => ms.toFixed(0)).join('/'),
        'customer saw': custStates.join(' '),
        audit: events.join(' '),
      });
      expect(samePeers, 'both sides kept their peer connection').to.equal(true);
      expect(states).to.deep.equal(['this:active']);
      expect(custStates.filter((s) => s.startsWith('closed/')), 'the customer was told of one close, the real one').to.deep.equal(['closed/technician_ended']);
      for (const once of ['session.created', 'code.entered', 'session.activated', 'session.suspended', 'session.resumed', 'session.ended']) {
        expect(count(once), `${once} in ${events.join(', ')}`).to.equal(1);
      }
      expect(trail.events.find((e) => e.event === 'session.suspended')?.detail).to.equal('server restarted');
      expect(trail.session.endReason).to.equal('technician_ended');
    });
  });
}
