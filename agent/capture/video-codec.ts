import type { RTCPeerConnectionCtor } from '../../rtc/peer-session.ts';
import type { LiveVideoCodec } from './codec-switch.ts';

/**
 * The screen's codec (`--codec`): `auto` (the default: VP8, and AV1 while the link is too slow for VP8:
 * capture/codec-switch.ts), `vp8` (the stack's own order, VP8 first) or `av1` (libaom in @roamhq/wrtc's libwebrtc
 * M106, offered first; Chromium decodes it with dav1d in 2–3 ms a frame here).
 *
 * Measured (bench/adaptation.ts, bench/glass-to-glass.ts; docs/performance.md, "2026-12-04, later"): a frame of the
 * bench's moving window costs VP8 2.3–2.9 KB whatever its quantizer (2.5 KB at its floor, 2.8 at its ceiling: the
 * bytes are the moved window's edges, which libwebrtc's VP8 speed setting does not find by motion search), so a
 * 500 kbit/s link carries ~15 such frames a second and a change waits for the next one. AV1 codes the same frames
 * in 1.2–1.6 KB and holds 30 a second on that link. On a fast link AV1 costs ~10 ms of encoding a 720p frame
 * (VP8 ~5) and ~60 % of a core at 60 fps (VP8 ~40 %), which is why `auto` starts with VP8. VP9 in M106 encodes a
 * screencast at 5–6 frames a second (its screen-sharing layer cap) and was no smaller than VP8 as plain video.
 */
export type VideoCodecChoice = 'auto' | 'vp8' | 'av1';

/** Whether `value` is a `--codec` the agent knows. */
export function isVideoCodec(value: string): value is VideoCodecChoice {
  return value === 'auto' || value === 'vp8' || value === 'av1';
}

/** One codec as getCapabilities lists it. */
export interface CodecCapability {
  mimeType: string;
  clockRate: number;
  sdpFmtpLine?: string;
}

/**
 * The codecs in the order to offer them: the preferred ones first (in `preferred`'s order), then the rest as the
 * stack listed them (rtx, red, ulpfec stay: each codec's retransmissions need rtx). Null when none of the
 * preferred is there, so the stack's own order stands untouched.
 */
export function orderVideoCodecs<T extends CodecCapability>(codecs: readonly T[], preferred: readonly string[]): T[] | null {
  const rank = (c: T): number => {
    const i = preferred.findIndex((p) => p.toLowerCase() === c.mimeType.toLowerCase());
    return i < 0 ? preferred.length : i;
  };
  if (!codecs.some((c) => rank(c) < preferred.length)) return null;
  return codecs.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map(({ c }) => c);
}

export interface CodecStatics {
  getCapabilities?(kind: string): { codecs: CodecCapability[] } | null;
}

/** The stack's video codecs (`RTCRtpSender.getCapabilities`); none when it cannot list them. */
export function senderVideoCodecs(sender: CodecStatics | undefined): readonly CodecCapability[] {
  try {
    return sender?.getCapabilities?.('video')?.codecs ?? [];
  } catch {
    // A stack that cannot list its codecs keeps its own order.
    return [];
  }
}

const CODEC_MIME: Record<LiveVideoCodec, string> = { vp8: 'video/VP8', av1: 'video/AV1' };

/** The stack's video codecs with `codec` first (`--codec auto`'s orders); null when the stack lacks it. */
export function codecFirst(sender: CodecStatics | undefined, codec: LiveVideoCodec): CodecCapability[] | null {
  return orderVideoCodecs(senderVideoCodecs(sender), [CODEC_MIME[codec]]);
}

/**
 * The peer connection class whose video transceivers prefer the `preferred` codecs (set when a video track is
 * added, before the offer or answer is made). Best effort: a stack without the codec, or that refuses the list,
 * keeps its own order.
 */
export function withPreferredVideoCodec(Base: RTCPeerConnectionCtor, sender: CodecStatics | undefined, preferred: readonly string[]): RTCPeerConnectionCtor {
  const ordered = orderVideoCodecs(senderVideoCodecs(sender), preferred);
  if (!ordered) return Base;
  return class extends Base {
    override addTrack(track: MediaStreamTrack, ...streams: MediaStream[]): RTCRtpSender {
      const added = super.addTrack(track, ...streams);
      if (track.kind === 'video') {
        const transceiver = this.getTransceivers().find((t) => t.sender === added);
        try {
          transceiver?.setCodecPreferences(ordered as RTCRtpCodec[]);
        } catch {
          // Refused: the stack's own order applies.
        }
      }
      return added;
    }
  };
}
