import { expect } from 'chai';
import { renderAtOnce } from '../../rtc/render-at-once.ts';

describe('rtc/render-at-once', () => {
  it('sets jitterBufferTarget to 0 where the receiver has it (the standard knob)', () => {
    const receiver = { jitterBufferTarget: null as number | null, playoutDelayHint: null as number | null };
    expect(renderAtOnce(receiver as unknown as RTCRtpReceiver)).to.equal('jitterBufferTarget');
    expect(receiver).to.deep.equal({ jitterBufferTarget: 0, playoutDelayHint: null });
  });

  it('falls back to playoutDelayHint = 0 where only that exists (older Chromium)', () => {
    const receiver = { playoutDelayHint: null as number | null };
    expect(renderAtOnce(receiver as unknown as RTCRtpReceiver)).to.equal('playoutDelayHint');
    expect(receiver).to.deep.equal({ playoutDelayHint: 0 });
  });

  it('leaves a receiver with neither alone', () => {
    const receiver = {};
    expect(renderAtOnce(receiver as unknown as RTCRtpReceiver)).to.equal(null);
    expect(receiver).to.deep.equal({});
  });
});
