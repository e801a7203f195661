import wrtc from '@roamhq/wrtc';
import { expect } from 'chai';
import { codecFirst } from '../../agent/capture/video-codec.ts';
import { makePair, videoStreamCodec, waitFor } from '../../testkit/rtc-pair.ts';
import { FrameCounter, MovingSource } from '../turn/helpers/video.ts';

const first = (codec: 'vp8' | 'av1') => codecFirst(wrtc.RTCRtpSender, codec) as RTCRtpCodec[];

describe('rtc/peer-session preferVideoCodecs (the codec of a running video changes, --codec auto)', function () {
  this.timeout(40_000);

  it('moves a sent screen from VP8 to AV1 and back on the same connection, the picture decoded throughout', async () => {
    expect(first('av1'), 'this stack has AV1').to.not.equal(null);
    const pair = makePair();
    const source = new MovingSource(320, 240);
    try {
      const arrived = new Promise<FrameCounter>((resolve) => pair.tech.on('track', ({ track }) => resolve(new FrameCounter(track))));
      pair.cust.addTrack(source.track);
      source.start(30);
      const frames = await arrived;
      await frames.waitFor(10);
      const sent = () => videoStreamCodec(() => pair.cust.getStats(), 'outbound-rtp');
      const received = () => videoStreamCodec(() => pair.tech.getStats(), 'inbound-rtp');
      await waitFor(async () => (await sent()) === 'video/VP8', 10_000, 'VP8 sent first (the stack order)');

      expect(pair.cust.preferVideoCodecs(first('av1'))).to.equal(true);
      await waitFor(async () => (await sent()) === 'video/AV1' && (await received()) === 'video/AV1', 15_000, 'AV1 sent and received');
      const atAv1 = frames.frames;
      await frames.waitFor(atAv1 + 10);
      expect(frames.width, 'the resolution is kept').to.equal(320);

      expect(pair.cust.preferVideoCodecs(first('vp8'))).to.equal(true);
      await waitFor(async () => (await sent()) === 'video/VP8' && (await received()) === 'video/VP8', 15_000, 'VP8 again');
      const atVp8 = frames.frames;
      await frames.waitFor(atVp8 + 10);
      expect(pair.cust.connectionState).to.equal('connected');
    } finally {
      source.stop();
      pair.close();
    }
  });

  it('is false, and changes nothing, when no video is sent', () => {
    const pair = makePair();
    try {
      expect(pair.tech.preferVideoCodecs(first('av1'))).to.equal(false);
    } finally {
      pair.close();
    }
  });
});
