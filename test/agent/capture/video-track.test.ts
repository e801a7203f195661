import { expect } from 'chai';
import { i420Bytes, type I420Frame } from '../../../agent/platform/screen-capturer.ts';
import { ScreenVideoTrack } from '../../../agent/capture/video-track.ts';

const frame = (): I420Frame => ({ width: 64, height: 32, data: new Uint8ClampedArray(i420Bytes(64, 32)), at: performance.now() });

describe('agent/capture/video-track', () => {
  it('pushes a frame into the WebRTC source while live', () => {
    const video = new ScreenVideoTrack(30);
    expect(video.push(frame())).to.equal(true);
    expect(video.stats().pushed).to.equal(1);
    video.stop();
  });

  it('ignores frames still in flight after stop(), and stop() is idempotent', () => {
    const video = new ScreenVideoTrack(30);
    video.stop();
    video.stop();
    expect(video.track.readyState).to.equal('ended');
    expect(video.push(frame())).to.equal(false);
    expect(video.stats().pushed).to.equal(0);
  });
});
