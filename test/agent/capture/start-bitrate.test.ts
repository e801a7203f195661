import wrtc from '@roamhq/wrtc';
import { expect } from 'chai';
import { VIDEO_START_KBPS, withStartBitrate, withVideoStartBitrate } from '../../../agent/capture/start-bitrate.ts';
import type { RTCPeerConnectionCtor } from '../../../rtc/peer-session.ts';

const Native = (wrtc as unknown as { RTCPeerConnection: RTCPeerConnectionCtor }).RTCPeerConnection;

const SDP = [
  'v=0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1',
  '',
].join('\r\n');

describe('agent/capture/start-bitrate', () => {
  it('gives every video codec x-google-start-bitrate, and nothing else', () => {
    const out = withStartBitrate(SDP, 3000).split('\r\n');
    expect(out[out.indexOf('a=rtpmap:96 VP8/90000') + 1]).to.equal('a=fmtp:96 x-google-start-bitrate=3000');
    expect(out).to.include('a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;x-google-start-bitrate=3000');
    expect(out).to.include('a=fmtp:111 minptime=10;useinbandfec=1');
    expect(out).to.include('a=fmtp:97 apt=96');
    expect(out.filter((l) => l.includes('x-google-start-bitrate'))).to.have.length(2);
    expect(withStartBitrate(withStartBitrate(SDP, 3000), 3000), 'applied twice').to.equal(withStartBitrate(SDP, 3000));
  });

  it("the agent's peer connection applies it to a real offer, and libwebrtc accepts it", async () => {
    const Agent = withVideoStartBitrate(Native);
    const tech = new Native();
    const agent = new Agent();
    try {
      tech.addTransceiver('video', { direction: 'recvonly' });
      const offer = await tech.createOffer();
      await tech.setLocalDescription(offer);
      expect(offer.sdp).not.to.contain('x-google-start-bitrate');
      await agent.setRemoteDescription(offer);
      expect(agent.remoteDescription?.sdp).to.match(new RegExp(`a=fmtp:\\d+ x-google-start-bitrate=${VIDEO_START_KBPS}`));
      const answer = await agent.createAnswer();
      await agent.setLocalDescription(answer);
      await tech.setRemoteDescription(answer);
      expect(agent.signalingState).to.equal('stable');
    } finally {
      tech.close();
      agent.close();
    }
  });
});
