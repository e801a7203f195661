import type { Platform } from '../platform/platform.ts';

/**
 * The libwebrtc field trials the agent runs with. `WebRTC-ForceSendPlayoutDelay` makes the video sender
 * write the playout-delay RTP header extension (min = max = 0) on its frames: the receiving browser then
 * renders each frame as soon as it is decoded instead of holding it for its jitter estimate, which the
 * console's `jitterBufferTarget = 0` alone does not do (it only lowers the minimum). Chrome Remote Desktop
 * sends the same (https://webrtc.googlesource.com/src/+/refs/heads/main/docs/native-code/rtp-hdrext/playout-delay/).
 * The extension is in libwebrtc's and Chromium's default offers, so no SDP change is needed.
 *
 * `WebRTC-BurstyPacer/burst:40ms/` lets the pacer send up to 40 ms worth of its rate at once, so a frame
 * leaves as soon as it is encoded instead of being spread over the next ~10 ms: current libwebrtc (and so
 * Chrome) does this by default (`PacingController::kDefaultBurstInterval`); the M106 in @roamhq/wrtc still
 * paced every packet, and for screen content at a pacing factor of 1.0. Measured Node to Node
 * (bench/lib/sender-probe.ts, 720p): frame captured → decoded 15.9 → 10.7 ms median (docs/performance.md).
 */
export const AGENT_FIELD_TRIALS = 'WebRTC-ForceSendPlayoutDelay/min_ms:0,max_ms:0/WebRTC-BurstyPacer/burst:40ms/';

const outcomes = new WeakMap<object, string>();

/**
 * Sets the agent's field trials once per platform (one per process) through it: '' when set, else why
 * not (the video then goes out without the extension and the browser's jitter buffer applies).
 */
export function applyAgentFieldTrials(platform: Pick<Platform, 'webrtcFieldTrials'>): string {
  let outcome = outcomes.get(platform);
  if (outcome === undefined) {
    outcome = platform.webrtcFieldTrials(AGENT_FIELD_TRIALS);
    outcomes.set(platform, outcome);
  }
  return outcome;
}
