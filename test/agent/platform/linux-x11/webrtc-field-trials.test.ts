import wrtc from '@roamhq/wrtc';
import { expect } from 'chai';
import { AGENT_FIELD_TRIALS } from '../../../../agent/capture/render-at-once-sender.ts';
import { LinuxX11Platform } from '../../../../agent/platform/linux-x11/linux-x11-platform.ts';
import { requireNativeCapture } from '../../helpers/native-capture.ts';

describe('agent/platform/linux-x11: libwebrtc field trials in the loaded @roamhq/wrtc (native addon)', () => {
  it('libwebrtc takes the agent’s trials: its own GetFieldTrialString then returns them', () => {
    expect(typeof wrtc.RTCPeerConnection).to.equal('function'); // wrtc.node is loaded in this process.
    const native = requireNativeCapture();
    expect(new LinuxX11Platform(':0', 'auto').webrtcFieldTrials(AGENT_FIELD_TRIALS)).to.equal('');
    expect(native.webrtcFieldTrials()).to.equal('WebRTC-ForceSendPlayoutDelay/min_ms:0,max_ms:0/WebRTC-BurstyPacer/burst:40ms/');
  });
});
