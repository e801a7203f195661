import type { RTCPeerConnectionCtor } from '../../rtc/peer-session.ts';

/**
 * Where the agent's bandwidth estimate starts, kbit/s. libwebrtc starts at
 * 300 and, with screen content (a few hundred kbit/s, "application limited"),
 * hardly ever probes higher; its pacer then spreads a key frame over hundreds
 * of milliseconds, and the browser's jitter estimator, which divides the
 * largest frame by the capacity it saw, holds every later frame that much
 * longer (measured: 480 ms per frame at 1280x720 on loopback, 19-28 ms from
 * here; docs/performance.md). A slower link pulls the estimate down within a
 * second or two (the capped bench shows it).
 */
export const VIDEO_START_KBPS = 3000;

/**
 * Adds `x-google-start-bitrate=KBPS` to the fmtp of every video codec of an
 * SDP. libwebrtc reads it from the remote description's codec parameters and
 * seeds the estimate for what it sends with it.
 */
export function withStartBitrate(sdp: string, kbps: number): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(eol);
  const video = new Set<string>();
  for (const line of lines) {
    const m = /^a=rtpmap:(\d+) (VP8|VP9|H264|AV1)\/90000/i.exec(line);
    if (m) video.add(m[1]!);
  }
  const hasFmtp = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const m = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (m && video.has(m[1]!)) {
      hasFmtp.add(m[1]!);
      out.push(/(^|;)\s*x-google-start-bitrate=/.test(m[2]!) ? line : `${line};x-google-start-bitrate=${kbps}`);
    } else out.push(line);
  }
  const result: string[] = [];
  for (const line of out) {
    result.push(line);
    const m = /^a=rtpmap:(\d+) /.exec(line);
    if (m && video.has(m[1]!) && !hasFmtp.has(m[1]!)) result.push(`a=fmtp:${m[1]} x-google-start-bitrate=${kbps}`);
  }
  return result.join(eol);
}

/** The peer connection class with every remote description given the agent's video start bitrate. */
export function withVideoStartBitrate(Base: RTCPeerConnectionCtor, kbps = VIDEO_START_KBPS): RTCPeerConnectionCtor {
  return class extends Base {
    override setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
      return super.setRemoteDescription(description.sdp ? { type: description.type, sdp: withStartBitrate(description.sdp, kbps) } : description);
    }
  };
}
