import wrtc from '@roamhq/wrtc';
import { expect } from 'chai';
import { orderVideoCodecs, withPreferredVideoCodec } from '../../../agent/capture/video-codec.ts';
import type { RTCPeerConnectionCtor } from '../../../rtc/peer-session.ts';

const Native = (wrtc as unknown as { RTCPeerConnection: RTCPeerConnectionCtor }).RTCPeerConnection;
const Sender = wrtc.RTCRtpSender as unknown as Parameters<typeof withPreferredVideoCodec>[1];

const c = (mimeType: string, sdpFmtpLine?: string) => ({ mimeType, clockRate: 90000, ...(sdpFmtpLine ? { sdpFmtpLine } : {}) });

/** The codec names of the first video m-line of an SDP, in order (rtx and the rest included). */
function videoCodecs(sdp: string | undefined): string[] {
  const lines = (sdp ?? '').split(/\r?\n/);
  const m = lines.find((l) => l.startsWith('m=video'));
  const names = new Map<string, string>();
  for (const l of lines) {
    const r = /^a=rtpmap:(\d+) ([^/]+)\//.exec(l);
    if (r && !names.has(r[1]!)) names.set(r[1]!, r[2]!);
  }
  return (m ?? '').split(' ').slice(3).map((pt) => names.get(pt) ?? pt);
}

function screenTrack(): { track: MediaStreamTrack; stop(): void } {
  const source = new wrtc.nonstandard.RTCVideoSource({ isScreencast: true });
  const track = source.createTrack();
  return { track, stop: () => track.stop() };
}

describe('agent/capture/video-codec', () => {
  it('puts the preferred codec first and keeps the rest in the stack order', () => {
    const stack = [c('video/VP8'), c('video/rtx'), c('video/AV1'), c('video/VP9', 'profile-id=0'), c('video/red')];
    expect(orderVideoCodecs(stack, ['video/AV1'])?.map((x) => x.mimeType)).to.deep.equal(['video/AV1', 'video/VP8', 'video/rtx', 'video/VP9', 'video/red']);
    expect(orderVideoCodecs(stack, ['video/vp9', 'video/AV1'])?.map((x) => x.mimeType), 'in the order preferred, case-insensitive').to.deep.equal(['video/VP9', 'video/AV1', 'video/VP8', 'video/rtx', 'video/red']);
  });

  it('leaves the stack order alone when the preferred codec is missing', () => {
    expect(orderVideoCodecs([c('video/VP8'), c('video/rtx')], ['video/AV1'])).to.equal(null);
    expect(withPreferredVideoCodec(Native, { getCapabilities: () => ({ codecs: [c('video/VP8')] }) }, ['video/AV1'])).to.equal(Native);
    expect(withPreferredVideoCodec(Native, undefined, ['video/AV1'])).to.equal(Native);
    const throwing = { getCapabilities: (): never => { throw new Error('no codecs here'); } };
    expect(withPreferredVideoCodec(Native, throwing, ['video/AV1']), 'a stack that cannot list its codecs').to.equal(Native);
  });

  it("the agent's offer lists AV1 first, and the answer it gets back does too (so AV1 is what it sends)", async () => {
    const Agent = withPreferredVideoCodec(Native, Sender, ['video/AV1']);
    const agent = new Agent();
    const tech = new Native();
    const screen = screenTrack();
    try {
      agent.addTrack(screen.track);
      const offer = await agent.createOffer();
      expect(videoCodecs(offer.sdp)[0]).to.equal('AV1');
      expect(videoCodecs(offer.sdp)).to.include.members(['VP8', 'rtx']);
      await agent.setLocalDescription(offer);
      await tech.setRemoteDescription(offer);
      const answer = await tech.createAnswer();
      await tech.setLocalDescription(answer);
      await agent.setRemoteDescription(answer);
      expect(videoCodecs(answer.sdp)[0]).to.equal('AV1');
    } finally {
      screen.stop();
      agent.close();
      tech.close();
    }
  });

  it('an offer from the other side that lists VP8 first is answered with AV1 first', async () => {
    const Agent = withPreferredVideoCodec(Native, Sender, ['video/AV1']);
    const agent = new Agent();
    const tech = new Native();
    const screen = screenTrack();
    try {
      tech.addTransceiver('video', { direction: 'recvonly' });
      const offer = await tech.createOffer();
      expect(videoCodecs(offer.sdp)[0]).to.equal('VP8');
      await agent.setRemoteDescription(offer);
      agent.addTrack(screen.track);
      const answer = await agent.createAnswer();
      expect(videoCodecs(answer.sdp)[0]).to.equal('AV1');
    } finally {
      screen.stop();
      agent.close();
      tech.close();
    }
  });
});
