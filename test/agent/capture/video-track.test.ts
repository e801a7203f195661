import wrtc from '@roamhq/wrtc';
import { expect } from 'chai';
import { i420Bytes, type I420Frame } from '../../../agent/platform/screen-capturer.ts';
import { ScreenVideoTrack } from '../../../agent/capture/video-track.ts';
import { keepResolution } from '../../../rtc/keep-resolution.ts';
import { sleep, until } from '../../../testkit/wait.ts';

/** A 64x32 frame whose luma is `y` everywhere, so the sink can tell frames apart. */
const frame = (y = 16): I420Frame => {
  const data = new Uint8ClampedArray(i420Bytes(64, 32)).fill(128);
  data.fill(y, 0, 64 * 32);
  return { width: 64, height: 32, data, at: performance.now() };
};

/** The luma of every frame that reached the track's source, in order (through a real RTCVideoSink). */
function sinkOf(video: ScreenVideoTrack): { lumas: number[]; stop(): void } {
  const sink = new wrtc.nonstandard.RTCVideoSink(video.track);
  const lumas: number[] = [];
  sink.onframe = ({ frame: f }: { frame: { data: Uint8Array } }) => lumas.push(f.data[0]!);
  return { lumas, stop: () => sink.stop() };
}

describe('agent/capture/video-track', () => {
  it('pushes a frame into the WebRTC source while live', async () => {
    let pushed = 0;
    const video = new ScreenVideoTrack(30, () => pushed++);
    const sink = sinkOf(video);
    expect(video.push(frame(100))).to.equal(true);
    expect(video.stats().pushed).to.equal(1);
    expect(pushed).to.equal(1);
    await until(() => sink.lumas.length === 1, 'a frame at the sink', 5000);
    expect(sink.lumas[0]).to.equal(100);
    sink.stop();
    video.stop();
  });

  it('holds a frame that comes too soon and sends it when its slot comes (a change is never lost)', async () => {
    const video = new ScreenVideoTrack(10); // One frame per ~90 ms.
    const sink = sinkOf(video);
    video.push(frame(50));
    video.push(frame(60));
    expect(video.stats().pushed, 'the early frame waits').to.equal(1);
    await until(() => video.stats().pushed === 2, 'the held frame to go out', 5000);
    expect(video.stats().dropped).to.equal(0);
    await until(() => sink.lumas.length === 2, 'both frames at the sink', 5000);
    expect(sink.lumas).to.deep.equal([50, 60]);
    sink.stop();
    video.stop();
  });

  it('replaces a held frame with a newer one: only the newest goes out, nothing queues', async () => {
    const video = new ScreenVideoTrack(10);
    const sink = sinkOf(video);
    video.push(frame(50));
    video.push(frame(60));
    video.push(frame(70));
    video.push(frame(80));
    expect(video.stats()).to.deep.equal({ pushed: 1, dropped: 2 });
    await until(() => video.stats().pushed === 2, 'the held frame to go out', 5000);
    await sleep(200);
    expect(video.stats()).to.deep.equal({ pushed: 2, dropped: 2 });
    await until(() => sink.lumas.length === 2, 'two frames at the sink', 5000);
    expect(sink.lumas).to.deep.equal([50, 80]);
    sink.stop();
    video.stop();
  });

  it('ignores frames still in flight after stop(), drops a held one, and stop() is idempotent', async () => {
    const video = new ScreenVideoTrack(10);
    video.push(frame());
    video.push(frame());
    video.stop();
    video.stop();
    expect(video.track.readyState).to.equal('ended');
    expect(video.push(frame())).to.equal(false);
    await sleep(200); // Past the held frame's slot (~90 ms).
    expect(video.stats().pushed).to.equal(1);
  });

  it('asks the sender to keep the resolution and drop the frame rate when the link is tight (screen text stays readable)', async () => {
    const video = new ScreenVideoTrack(30);
    const pc = new wrtc.RTCPeerConnection();
    try {
      const sender = pc.addTrack(video.track);
      await keepResolution(sender);
      expect((sender.getParameters() as { degradationPreference?: string }).degradationPreference).to.equal('maintain-resolution');
    } finally {
      pc.close();
      video.stop();
    }
  });
});
