/** What the browser's receiver offers for its playout delay (both are optional per browser). */
type TunableReceiver = RTCRtpReceiver & { jitterBufferTarget?: number | null; playoutDelayHint?: number | null };

/**
 * Asks the receiving browser to show the customer's screen as soon as each frame is
 * decoded: `jitterBufferTarget = 0` (W3C WebRTC Extensions), or Chromium's
 * older `playoutDelayHint = 0` where only that exists. Remote control wants
 * the picture attached to the hand, not smoothed. Returns which knob was set
 * (null when the browser has neither).
 * See https://w3c.github.io/webrtc-extensions/#dom-rtcrtpreceiver-jitterbuffertarget.
 */
export function renderAtOnce(receiver: RTCRtpReceiver): 'jitterBufferTarget' | 'playoutDelayHint' | null {
  const r = receiver as TunableReceiver;
  if ('jitterBufferTarget' in receiver) {
    r.jitterBufferTarget = 0;
    return 'jitterBufferTarget';
  }
  if ('playoutDelayHint' in receiver) {
    r.playoutDelayHint = 0;
    return 'playoutDelayHint';
  }
  return null;
}
