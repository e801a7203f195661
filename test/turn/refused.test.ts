import { expect } from 'chai';
import { mintTurnCredentials } from '../../turn/credentials.ts';
import { connectPair, gatherCandidates } from '../../turn/relay-probe.ts';
import { wrtc } from '../../turn/wrtc.ts';
import { startCoturn, type Coturn } from './helpers/coturn.ts';

/** coturn refuses credentials that are wrong, expired, re-labelled or minted with another secret. */
describe('turn: coturn refuses bad credentials', function () {
  this.timeout(40_000);
  let coturn: Coturn;

  before(async () => {
    coturn = await startCoturn({ args: ['-v'] });
  });
  after(async () => {
    await coturn?.stop();
  });

  const relayOnly = (username: string, credential: string): RTCConfiguration => ({
    iceServers: [{ urls: [coturn.urls.udp, coturn.urls.tcp], username, credential }],
    iceTransportPolicy: 'relay',
  });

  async function expectRefused(username: string, credential: string): Promise<void> {
    const g = await gatherCandidates(wrtc.RTCPeerConnection, relayOnly(username, credential));
    expect(g.candidates, 'relay candidates').to.deep.equal([]);
    expect(g.errors.map((e) => e.errorCode), 'icecandidateerror codes').to.include(401);
    const user = username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(await coturn.waitForLog(new RegExp(`user <${user}>: incoming packet \\S+ processed, error 401`))).to.equal(true);
  }

  it('control: a fresh valid credential gets a relay allocation', async () => {
    const c = mintTurnCredentials(coturn.secret, 'sess-ok.customer', 300);
    const g = await gatherCandidates(wrtc.RTCPeerConnection, relayOnly(c.username, c.credential));
    expect(g.types).to.deep.equal(['relay']);
  });

  it('a wrong password is refused with 401 and yields no relay candidate', async () => {
    const c = mintTurnCredentials(coturn.secret, 'sess-bad.customer', 300);
    await expectRefused(c.username, Buffer.from('not the hmac').toString('base64'));
  });

  it('a credential minted with another secret is refused', async () => {
    const c = mintTurnCredentials('some-other-deployments-secret', 'sess-other.customer', 300);
    await expectRefused(c.username, c.credential);
  });

  it('an expired credential (expiry in the past, correct HMAC) is refused', async () => {
    const c = mintTurnCredentials(coturn.secret, 'sess-old.customer', 60, Date.now() - 2 * 3600_000);
    expect(c.expiresAt).to.be.below(Date.now());
    await expectRefused(c.username, c.credential);
  });

  it("a credential re-labelled to another session id (or a later expiry) is refused: the HMAC covers the whole username", async () => {
    const c = mintTurnCredentials(coturn.secret, 'sess-A.customer', 300);
    const [expiry] = c.username.split(':');
    await expectRefused(`${expiry}:sess-B.customer`, c.credential);
    await expectRefused(`${Number(expiry) + 86_400}:sess-A.customer`, c.credential);
  });

  it('a peer with a refused credential cannot connect relay-only to a peer with a valid one', async () => {
    const good = mintTurnCredentials(coturn.secret, 'sess-C.technician', 300);
    const bad = mintTurnCredentials(coturn.secret, 'sess-C.customer', 60, Date.now() - 3600_000);
    let err: unknown;
    try {
      const p = await connectPair(wrtc.RTCPeerConnection, relayOnly(good.username, good.credential), relayOnly(bad.username, bad.credential), {
        timeoutMs: 4000,
      });
      p.close();
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/did not connect/);
  });
});
