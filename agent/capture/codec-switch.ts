/**
 * `--codec auto` (the default): VP8 while the link carries it, AV1 when it does not (issue 14 point 6).
 *
 * Why both (agent/capture/video-codec.ts, docs/performance.md): a frame of a moving window costs VP8 2.3–2.9 KB
 * whatever its quantizer, so a 500 kbit/s uplink carries ~15 of them a second and the picture lags 3.5–7.5x the
 * uncapped figure; AV1 codes the same frames in 1.2–1.6 KB and stays within ~2x there. On a fast link AV1 costs
 * more: ~10 ms to encode a 720p frame against VP8's ~5, and ~60 % of a core at 60 frames a second against ~40 %.
 * So the agent starts with VP8 and changes when the bandwidth estimate (`availableOutgoingBitrate`) says the link
 * is slow: under `slowBps` for `slowReadings` readings in a row, or for one reading under half of it (a link that
 * slow is not a dip: each second more on VP8 fills the sender's queue that the new codec's key frame then waits
 * behind; traced at 500 kbit/s, the estimate fell to 0.33 Mbit/s a second before the frame rate was lowered, and a
 * change a second later met 108 ms a packet of queue).
 *
 * A still screen sends little, and libwebrtc does not lower an estimate it has no reason to (it starts at the
 * agent's 3 Mbit/s: capture/start-bitrate.ts), so the first change waits for the first picture that fills the link.
 * Back to VP8 only when the estimate has stayed at or over `fastBps` for `fastReadings` readings (an estimate over
 * a slow link spikes for a second now and then: 0.97 Mbit/s on a 0.5 Mbit/s link, traced), and never sooner than
 * `dwellMs` after the last change: each change renegotiates and starts the new encoder with a key frame.
 *
 * This is the rule alone, fed once a second; agent/session.ts applies what it returns.
 */

export type LiveVideoCodec = 'vp8' | 'av1';

/** One reading (once a second, from the sender's counters). */
export interface CodecReading {
  /** performance.now() milliseconds. */
  at: number;
  /** The bandwidth estimate, bit/s; null when the reading lacks it. */
  availableBps: number | null;
}

export interface CodecSwitchOptions {
  /** Under this estimate (bit/s) the link is slow for VP8 (default 1 Mbit/s: VP8 held 60 fps and 22 ms at 2 Mbit/s). */
  slowBps?: number;
  /** Readings in a row with the estimate under `slowBps` before the change to AV1 (one, under half of it). */
  slowReadings?: number;
  /** At or over this estimate (bit/s) VP8 is carried again. */
  fastBps?: number;
  /** Readings in a row at or over `fastBps` before the change back to VP8. */
  fastReadings?: number;
  /** The least time between two changes, ms. */
  dwellMs?: number;
}

export const SLOW_BPS = 1_000_000;
export const FAST_BPS = 1_600_000;

/** Chooses the codec from the readings; `update` returns the codec to change to, or null to keep the current one. */
export class CodecSwitch {
  private codec: LiveVideoCodec = 'vp8';
  private slow = 0;
  private fast = 0;
  private changedAt = -Infinity;
  private readonly slowBps: number;
  private readonly slowReadings: number;
  private readonly fastBps: number;
  private readonly fastReadings: number;
  private readonly dwellMs: number;

  constructor(options: CodecSwitchOptions = {}) {
    this.slowBps = options.slowBps ?? SLOW_BPS;
    this.slowReadings = Math.max(1, options.slowReadings ?? 2);
    this.fastBps = Math.max(this.slowBps, options.fastBps ?? FAST_BPS);
    this.fastReadings = Math.max(1, options.fastReadings ?? 10);
    this.dwellMs = Math.max(0, options.dwellMs ?? 30_000);
  }

  /** The codec in use (as last changed to). */
  get current(): LiveVideoCodec {
    return this.codec;
  }

  /** Feeds one reading; returns the codec to change to now, or null. */
  update(reading: CodecReading): LiveVideoCodec | null {
    const estimate = reading.availableBps;
    if (estimate === null || !Number.isFinite(estimate)) return null;
    this.slow = estimate < this.slowBps ? this.slow + 1 : 0;
    this.fast = estimate >= this.fastBps ? this.fast + 1 : 0;
    if (reading.at - this.changedAt < this.dwellMs) return null;
    if (this.codec === 'vp8' && (this.slow >= this.slowReadings || estimate < this.slowBps / 2)) return this.change('av1', reading.at);
    if (this.codec === 'av1' && this.fast >= this.fastReadings) return this.change('vp8', reading.at);
    return null;
  }

  /** The change could not be made (the stack lacks the codec, or refused the order): stays on the one in use. */
  refused(codec: LiveVideoCodec, at: number): void {
    if (this.codec === codec) this.codec = codec === 'av1' ? 'vp8' : 'av1';
    this.changedAt = at;
  }

  private change(codec: LiveVideoCodec, at: number): LiveVideoCodec {
    this.codec = codec;
    this.changedAt = at;
    this.slow = 0;
    this.fast = 0;
    return codec;
  }
}
