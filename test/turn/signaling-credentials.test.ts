import { expect } from 'chai';
import type { IceConfig } from '../../protocol/ice.ts';
import { connectPair, selectedPath } from '../../turn/relay-probe.ts';
import { wrtc } from '../../turn/wrtc.ts';
import { activeSession, openCustomerSocket, startTestServer, type RunningServer } from '../../testkit/server.ts';
import { startCoturn, type Coturn } from './helpers/coturn.ts';

/** The TURN entry of an ICE config, and the id its username carries. */
function turnEntry(ice: IceConfig): { username: string; credential: string; id: string; expiry: number } {
  const entry = ice.iceServers.find((s) => s.urls.some((u) => u.startsWith('turn')));
  expect(entry, 'a TURN server in iceServers').to.not.equal(undefined);
  const [expiry, ...rest] = entry!.username!.split(':');
  return { username: entry!.username!, credential: entry!.credential!, id: rest.join(':'), expiry: Number(expiry) };
}

/**
 * Through the real signaling server configured with a real coturn: each party of a
 * session gets credentials of its own, for its own session, short-lived; nobody else
 * gets any; the secret never reaches a client; and the handed-out config works relay-only.
 */
describe('turn: the signaling server hands TURN credentials to the two parties of a session only', function () {
  this.timeout(40_000);
  const TTL = 600;
  let coturn: Coturn;
  let server: RunningServer;

  before(async () => {
    coturn = await startCoturn({ args: ['-v'] });
    server = await startTestServer({
      TURN_URLS: `${coturn.urls.udp},${coturn.urls.tcp}`,
      TURN_SECRET: coturn.secret,
      TURN_TTL_SECONDS: String(TTL),
    });
  });
  after(async () => {
    await server?.close();
    await coturn?.stop();
  });

  it('each party of two sessions gets its own short-lived credential naming its session; the secret appears in no message', async () => {
    const a = await activeSession(server, { forceRelay: true });
    const b = await activeSession(server);
    try {
      const now = Math.floor(Date.now() / 1000);
      const parties = [
        [a, 'technician', a.techActivated.ice],
        [a, 'customer', a.customerActivated.ice],
        [b, 'technician', b.techActivated.ice],
        [b, 'customer', b.customerActivated.ice],
      ] as const;
      const usernames = new Set<string>();
      for (const [s, role, ice] of parties) {
        expect(ice.turnConfigured).to.equal(true);
        const t = turnEntry(ice);
        expect(t.id, `${role} credential id`).to.contain(s.sessionId).and.to.contain(role);
        expect(t.expiry - now).to.be.within(1, TTL + 1);
        expect(ice.expiresAt).to.equal(t.expiry * 1000);
        usernames.add(t.username);
      }
      expect(usernames.size).to.equal(4);
      // Session B's parties never see anything of session A's credentials, and vice versa.
      const aCreds = [turnEntry(a.techActivated.ice), turnEntry(a.customerActivated.ice)];
      const bCreds = [turnEntry(b.techActivated.ice), turnEntry(b.customerActivated.ice)];
      for (const [sock, others] of [
        [b.customer, aCreds],
        [b.technician, aCreds],
        [a.customer, bCreds],
        [a.technician, bCreds],
      ] as const) {
        const seen = JSON.stringify(sock.received);
        for (const o of others) {
          expect(seen).to.not.contain(o.credential);
          expect(seen).to.not.contain(o.id);
        }
      }
      // The secret is in nothing any client received.
      for (const sock of [a.technician, a.customer, b.technician, b.customer]) expect(JSON.stringify(sock.received)).to.not.contain(coturn.secret);
      for (const path of ['/healthz', '/api/me', '/', '/console']) {
        const res = await fetch(`${server.url}${path}`, { headers: { cookie: a.cookie } });
        expect(await res.text(), path).to.not.contain(coturn.secret);
      }
      // Force relay: per session (A) vs the server default (off, B).
      expect(a.techActivated.ice.iceTransportPolicy).to.equal('relay');
      expect(a.customerActivated.ice.iceTransportPolicy).to.equal('relay');
      expect(b.techActivated.ice.iceTransportPolicy).to.equal('all');
    } finally {
      for (const s of [a, b]) {
        s.technician.ws.close();
        s.customer.ws.close();
      }
    }
  });

  it("a party cannot get fresh credentials for another session, and a customer without a session gets none", async () => {
    const a = await activeSession(server);
    const b = await activeSession(server);
    const stranger = await openCustomerSocket(server);
    try {
      b.customer.send({ type: 'ice.refresh', id: 'steal', sessionId: a.sessionId });
      const err = await b.customer.next('error');
      expect(err.ref).to.equal('steal');
      b.technician.send({ type: 'ice.refresh', id: 'steal2', sessionId: a.sessionId });
      expect((await b.technician.next('error')).ref).to.equal('steal2');
      stranger.send({ type: 'ice.refresh', id: 'x', sessionId: a.sessionId });
      await stranger.next('error').catch(() => undefined);
      for (const sock of [b.customer, b.technician, stranger]) {
        expect(sock.received.filter((m) => m.type === 'ice.config'), 'ice.config messages').to.deep.equal([]);
        expect(JSON.stringify(sock.received)).to.not.contain(a.sessionId);
      }
      // Its own session: a fresh credential for the same session and role.
      b.customer.send({ type: 'ice.refresh', id: 'own', sessionId: b.sessionId });
      const own = await b.customer.next('ice.config');
      expect(turnEntry(own.ice).id).to.contain(b.sessionId).and.to.contain('customer');
    } finally {
      for (const s of [a, b]) {
        s.technician.ws.close();
        s.customer.ws.close();
      }
      stranger.ws.close();
    }
  });

  it('the configs handed out in session.activated connect the two parties relay-only through coturn', async () => {
    const s = await activeSession(server, { forceRelay: true });
    const toRtc = (ice: IceConfig): RTCConfiguration => ({ iceServers: ice.iceServers, iceTransportPolicy: ice.iceTransportPolicy });
    try {
      const pair = await connectPair(wrtc.RTCPeerConnection, toRtc(s.techActivated.ice), toRtc(s.customerActivated.ice));
      try {
        expect(await selectedPath(pair.a)).to.include({ local: 'relay', remote: 'relay', path: 'relayed' });
      } finally {
        pair.close();
      }
      const techId = turnEntry(s.techActivated.ice).id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(await coturn.waitForLog(new RegExp(`user <\\d+:${techId}>: incoming packet ALLOCATE processed, success`))).to.equal(true);
    } finally {
      s.technician.ws.close();
      s.customer.ws.close();
    }
  });

  it('FORCE_RELAY makes relay the server default; without TURN configured only STUN/host is offered and turnConfigured is false', async () => {
    const forced = await startTestServer({ TURN_URLS: coturn.urls.udp, TURN_SECRET: coturn.secret, FORCE_RELAY: '1' });
    const plain = await startTestServer({});
    try {
      const f = await activeSession(forced);
      expect(f.techActivated.ice.iceTransportPolicy).to.equal('relay');
      expect(f.customerActivated.ice.iceTransportPolicy).to.equal('relay');
      f.technician.ws.close();
      f.customer.ws.close();
      const p = await activeSession(plain);
      for (const ice of [p.techActivated.ice, p.customerActivated.ice]) {
        expect(ice.turnConfigured).to.equal(false);
        expect(ice.iceTransportPolicy).to.equal('all');
        expect(ice.iceServers.flatMap((x) => x.urls).filter((u) => u.startsWith('turn'))).to.deep.equal([]);
        expect(ice.expiresAt).to.equal(undefined);
      }
      p.technician.ws.close();
      p.customer.ws.close();
    } finally {
      await forced.close();
      await plain.close();
    }
  });
});
