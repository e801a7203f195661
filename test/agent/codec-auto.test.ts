import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wrtc from '@roamhq/wrtc';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { Cleanup } from '../../agent/cleanup.ts';
import { codecFirst } from '../../agent/capture/video-codec.ts';
import type { LiveVideoCodec } from '../../agent/capture/codec-switch.ts';
import { diskSinkFactory } from '../../agent/files/disk-sink.ts';
import { nodeHasher } from '../../agent/files/node-hasher.ts';
import { AgentSession } from '../../agent/session.ts';
import { SignalingClient, type WebSocketCtor } from '../../rtc/signaling-client.ts';
import { TechnicianEngine } from '../../rtc/technician-engine.ts';
import { FakeCapturer, recordingInjector } from '../../testkit/fake-agent.ts';
import { RTCPeerConnectionNode, nextEvent, videoStreamCodec, waitFor } from '../../testkit/rtc-pair.ts';
import { createTechnician, loginCookie, startTestServer, type RunningServer } from '../../testkit/server.ts';

const WS = WebSocket as unknown as WebSocketCtor;
const videoCodecOrder = (codec: LiveVideoCodec) => codecFirst(wrtc.RTCRtpSender, codec);

/** The agent's peer connection on a link whose bandwidth estimate reads `estimate.bps` (the real report otherwise). */
const estimate = { bps: 400_000 };
class SlowLink extends RTCPeerConnectionNode {
  override async getStats(selector?: MediaStreamTrack | null): Promise<RTCStatsReport> {
    const real = await super.getStats(selector);
    const out = new Map<string, unknown>();
    real.forEach((s: Record<string, unknown>, id: string) => out.set(id, s.type === 'candidate-pair' && typeof s.availableOutgoingBitrate === 'number' ? { ...s, availableOutgoingBitrate: estimate.bps } : s));
    return out;
  }
}

/** The technician's peer connections, to read what they receive. */
const techPeers: RTCPeerConnection[] = [];
class TechnicianPeer extends RTCPeerConnectionNode {
  constructor(config?: RTCConfiguration) {
    super(config);
    techPeers.push(this);
  }
}

async function receivedCodec(): Promise<string> {
  const pc = techPeers.at(-1);
  return pc ? videoStreamCodec(() => pc.getStats(), 'inbound-rtp', { decoded: true }) : '';
}

describe("agent --codec auto: a slow link moves the running picture to AV1, said in the customer's session log", function () {
  this.timeout(60_000);
  let server: RunningServer;
  let downloads: string;

  before(async () => {
    server = await startTestServer({}, { plugins: [] });
    await createTechnician(server, { email: 'codec@example.test', password: 'correct-horse-battery', name: 'Tess' });
    downloads = mkdtempSync(join(tmpdir(), 'rr-codec-auto-'));
  });
  after(async () => {
    await server?.close();
    if (downloads) rmSync(downloads, { recursive: true, force: true });
  });

  it('VP8 first; an estimate of 0.4 Mbit/s: AV1 sent and decoded by the technician, one log line', async () => {
    expect(videoCodecOrder('av1'), 'this stack has AV1').to.not.equal(null);
    const cookie = await loginCookie(server, 'codec@example.test', 'correct-horse-battery');
    const techSig = new SignalingClient({ url: `${server.wsUrl}/ws/technician`, role: 'technician', WebSocket: WS, headers: { cookie, origin: server.publicUrl } });
    await techSig.connect();
    const created = await techSig.request({ type: 'session.create' });
    if (created.type !== 'session.created') throw new Error(created.type);
    const custSig = new SignalingClient({ url: `${server.wsUrl}/ws/customer`, role: 'customer', WebSocket: WS, client: 'agent' });
    await custSig.connect();
    await custSig.request({ type: 'code.submit', code: created.session.code!, client: 'agent' });
    const cleanup = new Cleanup();
    const capturer = new FakeCapturer();
    estimate.bps = 5_000_000;
    const agent = new AgentSession({
      signaling: custSig,
      RTCPeerConnection: SlowLink,
      videoCodecOrder,
      name: 'Slow Link',
      capturer,
      injector: recordingInjector(),
      clipboard: null,
      files: { sinkFactory: diskSinkFactory(downloads, cleanup), hasher: nodeHasher },
      ask: async () => false,
      preGranted: ['view'],
      fps: 10,
    });
    const tech = new TechnicianEngine({ signaling: techSig, RTCPeerConnection: TechnicianPeer, name: 'Tess', client: 'browser', sessionId: created.session.sessionId });
    try {
      void agent.init();
      const ready = nextEvent((h) => tech.on('ready', h), 15_000, 'technician ready');
      const track = nextEvent<{ track: MediaStreamTrack }>((h) => tech.on('track', h), 15_000, 'the screen');
      await tech.activate();
      await ready;
      await track;
      await waitFor(async () => (await receivedCodec()) === 'video/VP8', 15_000, 'VP8 received first');
      // Three readings on a fast link change nothing.
      await new Promise((r) => setTimeout(r, 3000));
      expect(await receivedCodec()).to.equal('video/VP8');

      estimate.bps = 400_000;
      await waitFor(async () => (await receivedCodec()) === 'video/AV1', 20_000, 'AV1 received');
      const said = agent.engine.log.entries().filter((e) => e.text.includes('the screen is now sent as'));
      expect(said.map((e) => e.text)).to.deep.equal(['Slow connection (about 0.4 Mbit/s): the screen is now sent as AV1, which needs about half as much.']);
      // Still slow: nothing more (a change renegotiates; none for 30 s, and none back while the estimate is low).
      await new Promise((r) => setTimeout(r, 2500));
      expect(agent.engine.log.entries().filter((e) => e.text.includes('the screen is now sent as'))).to.have.length(1);
      expect(await receivedCodec()).to.equal('video/AV1');
    } finally {
      tech.close();
      agent.engine.close();
      await capturer.stop();
      cleanup.runNow();
    }
  });
});
