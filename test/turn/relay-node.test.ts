import { expect } from 'chai';
import { mintTurnCredentials } from '../../turn/credentials.ts';
import { connectPair, gatherCandidates, selectedPath, transfer, type Pair } from '../../turn/relay-probe.ts';
import { wrtc } from '../../turn/wrtc.ts';
import { startCoturn, type Coturn } from './helpers/coturn.ts';
import { FrameCounter, MovingSource } from './helpers/video.ts';

/** Relay-only Node↔Node WebRTC through a real coturn on loopback, with credentials minted as the signaling server mints them. */
describe('turn: relay-only connection through real coturn (Node↔Node)', function () {
  this.timeout(40_000);
  let coturn: Coturn;
  const pairs: Pair[] = [];

  before(async () => {
    coturn = await startCoturn({ args: ['-v'] });
  });
  afterEach(() => {
    for (const p of pairs.splice(0)) p.close();
  });
  after(async () => {
    await coturn?.stop();
  });

  function relayConfig(id: string, url: string): RTCConfiguration {
    const c = mintTurnCredentials(coturn.secret, id, 600);
    return { iceServers: [{ urls: [url], username: c.username, credential: c.credential }], iceTransportPolicy: 'relay' };
  }

  it('gathers only relay candidates, on the relay port range, with iceTransportPolicy relay', async () => {
    const g = await gatherCandidates(wrtc.RTCPeerConnection, relayConfig('sess-gather.technician', coturn.urls.udp));
    expect(g.types).to.deep.equal(['relay']);
    for (const line of g.candidates) {
      const port = Number(line.split(' ')[5]);
      expect(port).to.be.within(coturn.relayPorts.min, coturn.relayPorts.max);
    }
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`connects relay/relay over TURN/${transport} and 8 MiB of data arrives intact (SHA-256)`, async () => {
      const url = coturn.urls[transport];
      const p = await connectPair(wrtc.RTCPeerConnection, relayConfig('sess-1.technician', url), relayConfig('sess-1.customer', url));
      pairs.push(p);
      const [pathA, pathB] = [await selectedPath(p.a), await selectedPath(p.b)];
      expect(pathA).to.include({ local: 'relay', remote: 'relay', path: 'relayed' });
      expect(pathB).to.include({ local: 'relay', remote: 'relay', path: 'relayed' });
      expect(pathA.relayProtocol).to.equal(transport);
      const r = await transfer(p.dcA, p.dcB, 8 * 1024 * 1024);
      expect(r.bytes).to.equal(8 * 1024 * 1024);
      expect(r.sha256Received).to.equal(r.sha256Sent);
      // And back the other way.
      const back = await transfer(p.dcB, p.dcA, 1024 * 1024);
      expect(back.sha256Received).to.equal(back.sha256Sent);
    });
  }

  it('video from an RTCVideoSource track arrives through the relay (remote RTCVideoSink gets frames)', async () => {
    const source = new MovingSource(320, 240);
    let counter: FrameCounter | undefined;
    try {
      const p = await connectPair(
        wrtc.RTCPeerConnection,
        relayConfig('sess-video.customer', coturn.urls.udp),
        relayConfig('sess-video.technician', coturn.urls.udp),
        {
          beforeOffer: (a, b) => {
            a.addTrack(source.track);
            b.ontrack = (ev) => {
              counter = new FrameCounter(ev.track);
            };
          },
        },
      );
      pairs.push(p);
      source.start(30);
      expect((await selectedPath(p.b)).path).to.equal('relayed');
      for (let i = 0; i < 100 && !counter; i++) await new Promise((r) => setTimeout(r, 20));
      expect(counter, 'remote track event').to.not.equal(undefined);
      const frames = await counter!.waitFor(15);
      expect(frames).to.be.at.least(15);
      expect([counter!.width, counter!.height]).to.deep.equal([320, 240]);
    } finally {
      counter?.stop();
      source.stop();
    }
  });

  it('coturn logs each allocation with the credential id, so a self-hoster can tie relay use to a session', async () => {
    expect(await coturn.waitForLog(/user <\d+:sess-1\.technician>: incoming packet ALLOCATE processed, success/)).to.equal(true);
    expect(coturn.log()).to.match(/user <\d+:sess-1\.customer>: incoming packet ALLOCATE processed, success/);
    expect(coturn.log()).to.not.contain(coturn.secret);
  });
});
