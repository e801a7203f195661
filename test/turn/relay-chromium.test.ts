import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { mintTurnCredentials } from '../../turn/credentials.ts';
import { selectedPath } from '../../turn/relay-probe.ts';
import { wrtc } from '../../turn/wrtc.ts';
import { launchChromium } from './helpers/chromium.ts';
import { startCoturn, type Coturn } from './helpers/coturn.ts';
import { MovingSource } from './helpers/video.ts';

/**
 * Node (@roamhq/wrtc, the agent's WebRTC stack) ↔ headless Chromium (the console's),
 * relay-only through a real coturn: video and data flow, the selected pair is relay/relay.
 */
describe('turn: relay-only Node↔Chromium through real coturn', function () {
  this.timeout(60_000);
  let coturn: Coturn;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let node: RTCPeerConnection;
  let dc: RTCDataChannel;
  let source: MovingSource;

  before(async () => {
    coturn = await startCoturn({ args: ['-v'] });
    chromium = await launchChromium();
    page = await chromium.browser.newPage();
    await page.setContent('<!doctype html><video id="v" autoplay muted playsinline></video>');
  });
  after(async () => {
    source?.stop();
    node?.close();
    await chromium?.close();
    await coturn?.stop();
  });

  const relayConfig = (id: string): RTCConfiguration => {
    const c = mintTurnCredentials(coturn.secret, id, 600);
    return { iceServers: [{ urls: [coturn.urls.udp, coturn.urls.tcp], username: c.username, credential: c.credential }], iceTransportPolicy: 'relay' };
  };

  async function gathered(pc: RTCPeerConnection): Promise<void> {
    for (let i = 0; i < 250 && pc.iceGatheringState !== 'complete'; i++) await sleep(20);
  }

  it('connects relay/relay, video frames decode in Chromium, data crosses both ways intact', async () => {
    // Node side: the agent's role (customer, sends video).
    node = new wrtc.RTCPeerConnection(relayConfig('sess-chromium-customer'));
    dc = node.createDataChannel('data', { negotiated: true, id: 0 });
    dc.binaryType = 'arraybuffer';
    source = new MovingSource(640, 480);
    node.addTrack(source.track);
    source.start(30);
    await node.setLocalDescription(await node.createOffer());
    await gathered(node);
    const offer = node.localDescription!.toJSON();
    expect(offer.sdp).to.match(/typ relay/);
    expect(offer.sdp).to.not.match(/typ host/);

    // Chromium side: the console's role (technician, receives video, echoes data).
    const answer = await page.evaluate(async (cfg: RTCConfiguration, remote: RTCSessionDescriptionInit) => {
      const pc = new RTCPeerConnection(cfg);
      const w = window as unknown as Record<string, unknown>;
      w.pc = pc;
            w.received = 0;
      const video = document.getElementById('v') as HTMLVideoElement;
      pc.ontrack = (ev) => {
        video.srcObject = new MediaStream([ev.track]);
      };
      const ch = pc.createDataChannel('data', { negotiated: true, id: 0 });
      ch.binaryType = 'arraybuffer';
      ch.onmessage = (ev: MessageEvent<ArrayBuffer>) => {
        w.received = (w.received as number) + ev.data.byteLength;
        ch.send(ev.data);
      };
      await pc.setRemoteDescription(remote);
      await pc.setLocalDescription(await pc.createAnswer());
      for (let i = 0; i < 250 && pc.iceGatheringState !== 'complete'; i++) await new Promise((r) => setTimeout(r, 20));
      return pc.localDescription!.toJSON();
    }, relayConfig('sess-chromium-technician'), offer);
    expect(answer.sdp).to.match(/typ relay/);
    expect(answer.sdp).to.not.match(/typ host/);
    await node.setRemoteDescription(answer);

    for (let i = 0; i < 500 && dc.readyState !== 'open'; i++) await sleep(20);
    expect(dc.readyState).to.equal('open');

    // The selected pair on both ends is relay/relay.
    expect(await selectedPath(node)).to.include({ local: 'relay', remote: 'relay', path: 'relayed' });
    const browserPair = await page.evaluate(async () => {
      const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
      const stats = await pc.getStats();
      const all = new Map<string, Record<string, unknown>>();
      stats.forEach((s: Record<string, unknown>) => all.set(s.id as string, s));
      for (const s of all.values()) {
        if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') {
          const pair = all.get(s.selectedCandidatePairId)!;
          return {
            local: all.get(pair.localCandidateId as string)?.candidateType,
            remote: all.get(pair.remoteCandidateId as string)?.candidateType,
          };
        }
      }
      return null;
    });
    expect(browserPair).to.deep.equal({ local: 'relay', remote: 'relay' });

    // Data: 4 MiB Node → Chromium, echoed back; the echo's SHA-256 matches what was sent.
    const total = 4 * 1024 * 1024;
    const sent = createHash('sha256');
    const echoed = createHash('sha256');
    let back = 0;
    dc.onmessage = (ev: MessageEvent<ArrayBuffer>) => {
      echoed.update(new Uint8Array(ev.data));
      back += ev.data.byteLength;
    };
    for (let put = 0; put < total; ) {
      if (dc.bufferedAmount > 1024 * 1024) {
        await sleep(1);
        continue;
      }
      const chunk = randomBytes(16 * 1024);
      sent.update(chunk);
      dc.send(chunk);
      put += chunk.byteLength;
    }
    for (let i = 0; i < 1500 && back < total; i++) await sleep(20);
    expect(back).to.equal(total);
    expect(echoed.digest('hex')).to.equal(sent.digest('hex'));

    // Video: the <video> element plays frames at the sent size (getVideoPlaybackQuality), and the receiver decoded them.
    let video = { frames: 0, width: 0, height: 0 };
    for (let i = 0; i < 500 && video.frames < 15; i++) {
      video = await page.evaluate(() => {
        const v = document.getElementById('v') as HTMLVideoElement;
        return { frames: v.getVideoPlaybackQuality().totalVideoFrames, width: v.videoWidth, height: v.videoHeight };
      });
      if (video.frames < 15) await sleep(20);
    }
    expect(video.frames).to.be.at.least(15);
    expect([video.width, video.height]).to.deep.equal([640, 480]);
    const decoded = await page.evaluate(async () => {
      let n = 0;
      (await (window as unknown as { pc: RTCPeerConnection }).pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded as number;
      });
      return n;
    });
    expect(decoded).to.be.at.least(15);

    expect(coturn.log()).to.match(/user <\d+:sess-chromium-technician>: incoming packet ALLOCATE processed, success/);
    expect(coturn.log()).to.match(/user <\d+:sess-chromium-customer>: incoming packet ALLOCATE processed, success/);
  });
});
