/**
 * The agent's frame rate under a bandwidth cap: screen content keeps its resolution and gives up frames
 * (issue 14 point 6). libwebrtc (M106 in @roamhq/wrtc) does give up frames, but badly: at 500 kbit/s with
 * 60 frames a second offered, VP8's quantizer sits at its ceiling, the rate control drops four frames in
 * five unevenly, its frames come out huge and irregular (hugeFramesSent +3–5 a second) and a change waits
 * for the next frame that survives; `qualityLimitationReason` still says "none". Offering the encoder only
 * what it manages to encode (about 13 frames a second there) gives it frames it can fit: evenly spaced,
 * none dropped, none huge. Measured (bench/adaptation.ts, docs/performance.md): glass to glass at 500 kbit/s
 * 90–100 ms at 60 offered, 62 ms at 15 offered, same run shape.
 *
 * This is the rule, fed once a second with the sender's counters; it never asks for more than `maxFps`
 * (the agent's `--fps`) and never less than `minFps`.
 */

/** The sender's cumulative counters at one moment (from getStats). */
export interface SendSample {
  /** performance.now() milliseconds. */
  at: number;
  /** Frames that reached the video source (media-source `frames`, or the agent's own count). */
  framesIn: number;
  framesEncoded: number;
  /** Payload bytes sent (outbound-rtp `bytesSent`). */
  bytesSent: number;
  /** The bandwidth estimate (the selected candidate pair's `availableOutgoingBitrate`), bit/s; null when not reported (the last one reported applies). */
  availableBps: number | null;
  /** RTP packets sent (outbound-rtp `packetsSent`); with `sendDelaySeconds`, the time a packet waits in the sender. */
  packetsSent?: number;
  /** Seconds the packets sent waited in the sender, summed (outbound-rtp `totalPacketSendDelay`). */
  sendDelaySeconds?: number;
}

export interface SendRateOptions {
  minFps?: number;
  /** Ticks (seconds) the encoder must keep up before the rate is tried higher; doubles after a failed try. */
  probeAfter?: number;
}

/** Encoded under this share of the frames offered: the encoder is dropping frames. */
export const STARVED_SHARE = 0.75;
/** The share of the estimate the frames may use (the rest: retransmissions, RTCP, the data channels). */
export const ESTIMATE_SHARE = 0.8;
/**
 * A packet that waited longer than this in the sender (mean over a reading) means the sender's queue (libwebrtc's
 * pacer) holds more than the link carries: the frames offered are too many, even when the encoder encodes them all.
 * Measured per packet: 5–6 ms uncapped and at 2 Mbit/s, 4–25 ms at 500 kbit/s when it keeps up; 50–300 ms the
 * second before a stall of 0.8–1.5 s (docs/performance.md, 2026-12-04).
 */
export const QUEUED_MS = 60;
const MAX_PROBE_AFTER = 24;
/** Frames that use under this share of the lowest recent estimate leave room for a try, whatever their size. */
export const ROOM_SHARE = 0.7;
/** A try must be carried by the lowest estimate of this many readings (the estimate spikes for a second now and then). */
export const TRY_ESTIMATES = 3;

/** Chooses the frame rate offered to the encoder from the sender's counters (see the file comment). */
export class SendRateGovernor {
  private cap: number;
  private last: SendSample | null = null;
  private calm = 0;
  private probeAfter: number;
  private readonly minProbeAfter: number;
  private readonly minFps: number;
  /** True after a raise, until a tick shows whether the encoder kept up with it. */
  private probing = false;
  /** The last estimate reported (a reading now and then lacks it). */
  private estimate: number | null = null;
  /** The estimates of the last `TRY_ESTIMATES` readings that reported one, newest last. */
  private recent: number[] = [];
  /** The wait per packet (ms) of the reading that last halved the rate, until a reading without a halving. */
  private halvedAtWait: number | null = null;
  /** Readings left whose queue is a new encoder's key frame (restart). */
  private keyFrameReadings = 0;

  constructor(
    private readonly maxFps: number,
    options: SendRateOptions = {},
  ) {
    this.minFps = Math.max(1, Math.min(maxFps, options.minFps ?? 8));
    this.minProbeAfter = Math.max(1, options.probeAfter ?? 2);
    this.probeAfter = this.minProbeAfter;
    this.cap = maxFps;
  }

  /** The rate to offer now. */
  get fps(): number {
    return this.cap;
  }

  /**
   * The encoder changed (another codec, capture/codec-switch.ts): the frame sizes and failed tries learnt with the
   * old one no longer hold. Starts again from `fps` (within minFps and maxFps), trying higher after the usual calm
   * readings; the estimates already read still apply (the link is the same). `keyFrameReadings`: readings after the
   * first that carry the new encoder's key frame (the rate is held through them).
   */
  restart(fps: number, options: { keyFrameReadings?: number } = {}): number {
    this.cap = Math.max(this.minFps, Math.min(this.maxFps, Math.round(fps)));
    this.keyFrameReadings = Math.max(0, options.keyFrameReadings ?? 0);
    this.last = null;
    this.calm = 0;
    this.probing = false;
    this.probeAfter = this.minProbeAfter;
    this.halvedAtWait = null;
    return this.cap;
  }

  /** Feeds one reading; returns the rate to offer from now on. Readings out of order or too close are ignored. */
  update(sample: SendSample): number {
    const prev = this.last;
    if (prev && sample.at - prev.at < 500) return this.cap;
    this.last = sample;
    if (sample.availableBps !== null) {
      this.estimate = sample.availableBps;
      this.recent = [...this.recent, sample.availableBps].slice(-TRY_ESTIMATES);
    }
    const available = this.estimate;
    if (!prev || sample.at - prev.at > 10_000 || sample.framesEncoded < prev.framesEncoded || sample.framesIn < prev.framesIn) return this.cap;
    const dt = (sample.at - prev.at) / 1000;
    const offered = (sample.framesIn - prev.framesIn) / dt;
    const encodedFrames = sample.framesEncoded - prev.framesEncoded;
    const encoded = encodedFrames / dt;
    // A still screen says nothing about the link.
    if (offered < 2) return this.cap;
    const bitsPerFrame = ((sample.bytesSent - prev.bytesSent) * 8) / Math.max(1, encodedFrames);
    // Frames of this size the estimate can carry each second (null when not reported; 0 when nothing was encoded).
    const carried = encodedFrames === 0 ? 0 : available !== null && bitsPerFrame > 0 ? (available * ESTIMATE_SHARE) / bitsPerFrame : null;
    // The readings that carry a new encoder's key frame say nothing of the rate: the frame waits in the queue and
    // the encoder drops frames behind it, whatever the rate offered.
    if (this.keyFrameReadings > 0) {
      this.keyFrameReadings--;
      return this.cap;
    }
    const waitMs = sendWaitMs(prev, sample);
    if (waitMs !== null && waitMs > QUEUED_MS) {
      const draining = this.halvedAtWait !== null && waitMs < this.halvedAtWait;
      this.halvedAtWait = waitMs;
      this.calm = 0;
      // Right after a halving the reading still counts the packets queued before it: a wait that fell means the
      // queue drains at the halved rate, so the rate is held, not halved again while the wait keeps falling
      // (traced with AV1 at 500 kbit/s: 38 fps at 118 ms → 19 fps; the next reading, 61 ms, halved again to 9,
      // on a link that a steady 30 fps held; docs/performance.md, "2026-12-04, later").
      if (draining) return this.cap;
      // Otherwise the sender's queue grows: halve what is offered (the encoder alone would only drop frames once
      // the queue holds seconds, and then the frames it keeps are huge).
      this.cap = Math.max(this.minFps, Math.min(this.cap, Math.floor(this.cap / 2)));
      if (this.probing) this.probeAfter = Math.min(MAX_PROBE_AFTER, this.probeAfter * 2);
      this.probing = false;
      return this.cap;
    }
    this.halvedAtWait = null;
    // Bandwidth-limited: the encoder drops frames and the estimate cannot carry what is offered. (A CPU-bound
    // encoder drops frames too, with room on the link: the rate it is offered then stays.)
    if (encoded < STARVED_SHARE * offered && (carried === null || carried < offered)) {
      // Down to what the encoder managed, but at most halved per reading: right after the link narrows the
      // pacer still holds seconds of old frames and the encoder manages almost none for a few seconds.
      this.cap = Math.max(this.minFps, Math.min(this.cap, Math.floor(Math.max(encoded * 1.1, this.cap / 2))));
      if (this.probing) this.probeAfter = Math.min(MAX_PROBE_AFTER, this.probeAfter * 2);
      this.probing = false;
      this.calm = 0;
      return this.cap;
    }
    this.probing = false;
    if (this.cap >= this.maxFps) return this.cap;
    this.calm++;
    if (carried !== null && carried >= 2 * this.maxFps) {
      // The estimate carries twice the most ever offered (the cap went away): straight back.
      this.cap = this.maxFps;
      this.probeAfter = this.minProbeAfter;
    } else if (this.calm >= this.probeAfter) {
      // A quarter more, or what the estimate carries at this frame size if that is more (at most half as much
      // again: the estimate overshoots the link now and then, 0.97 Mbit/s on a 0.5 Mbit/s link, traced).
      const next = Math.min(this.maxFps, Math.max(this.cap + 1, Math.ceil(this.cap * 1.25), Math.min(Math.ceil(1.5 * this.cap), Math.floor(carried ?? 0))));
      // Not past what the lowest of the last few estimates carries at this frame size: with AV1 at 500 kbit/s a
      // try from 38 to 48 fps (frames of 1.1 KB, the estimate 0.39–0.44 Mbit/s, so 38 already used 0.9 of it)
      // filled the sender's queue within the second (134 ms a packet) and the quantizer went from 62 to 129; and
      // one reading of 0.76 Mbit/s on that link sent a try from 43 to 60 (docs/performance.md, 2026-12-04
      // "codec"). Re-checked each reading, so an estimate that stays up still gets its try.
      const low = this.recent.length > 0 ? Math.min(...this.recent) : null;
      const lowCarried = low !== null && bitsPerFrame > 0 && encodedFrames > 0 ? (low * ESTIMATE_SHARE) / bitsPerFrame : null;
      // Unless the frames use well under that estimate: the encoder's rate control sizes a frame to its target over
      // the frames offered, so at a low rate the frames grow into the budget and "carried at this frame size" stays
      // at the rate offered; more frames would be smaller. Traced with AV1 at 500 kbit/s after the change from VP8:
      // 15 fps of 1.7–1.8 KB frames, 0.23 Mbit/s sent, the estimate 0.33–0.42, no try in 6 s, and a change waited
      // for the next of 15 frames a second (docs/performance.md, 2026-12-05 "--codec auto").
      const sentBps = ((sample.bytesSent - prev.bytesSent) * 8) / dt;
      const room = low !== null && sentBps < ROOM_SHARE * low;
      if (lowCarried !== null && lowCarried < next && !room) return this.cap;
      this.cap = next;
      this.probing = true;
      this.calm = 0;
    }
    return this.cap;
  }
}

/** The mean time a packet sent between two readings waited in the sender, ms; null when not reported or none sent. */
function sendWaitMs(prev: SendSample, sample: SendSample): number | null {
  if (prev.packetsSent === undefined || sample.packetsSent === undefined || prev.sendDelaySeconds === undefined || sample.sendDelaySeconds === undefined) return null;
  const packets = sample.packetsSent - prev.packetsSent;
  const delay = sample.sendDelaySeconds - prev.sendDelaySeconds;
  if (packets <= 0 || delay < 0) return null;
  return (delay * 1000) / packets;
}

/** The sender's counters from a peer connection's getStats report (the first video outbound-rtp; null if none yet). */
export function sendSampleFrom(report: { forEach(cb: (stat: Record<string, unknown>) => void): void }, at: number, framesIn?: number): SendSample | null {
  let out: SendSample | null = null;
  let source: number | null = null;
  let available: number | null = null;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  report.forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video' && !out) {
      const encoded = num(s.framesEncoded);
      const bytes = num(s.bytesSent);
      if (encoded !== null && bytes !== null) {
        out = { at, framesIn: 0, framesEncoded: encoded, bytesSent: bytes, availableBps: null };
        const packets = num(s.packetsSent);
        const delay = num(s.totalPacketSendDelay);
        if (packets !== null && delay !== null) Object.assign(out, { packetsSent: packets, sendDelaySeconds: delay });
      }
    } else if (s.type === 'media-source' && s.kind === 'video') {
      source ??= num(s.frames);
    } else if (s.type === 'candidate-pair' && (s.nominated === true || s.selected === true) && s.state === 'succeeded') {
      available = num(s.availableOutgoingBitrate) ?? available;
    }
  });
  const result = out as SendSample | null;
  if (!result) return null;
  const frames = framesIn ?? source;
  if (frames === null) return null;
  return { ...result, framesIn: frames, availableBps: available };
}
