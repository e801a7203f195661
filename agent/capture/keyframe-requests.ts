/**
 * Answers key frame requests on a still screen. libwebrtc turns a receiver's PLI/FIR into a key frame on the
 * *next* frame, and the damage-driven capturer sends none while nothing changes (a repeat costs ~20 ms of
 * libwebrtc's threads at 1080p: docs/performance.md "Still screen"), so a decoder that lost its picture, or a
 * new peer connection that never had one, would wait for the next change. Once a second, only while no frame
 * went out for that long, this reads the peer connection's `outbound-rtp` video stats (one getStats, ~1 ms of
 * CPU here; @roamhq/wrtc has no sender.getStats and no PLI event) and asks the capturer for the picture again:
 * - while no frame was encoded for this connection yet (a late-joining viewer), on every check;
 * - when `pliCount + firCount` grew, at most once per `holdOffMs`. The browser itself asks for a key frame
 *   when no frame came for 3 s; answering it starts the same 3 s again, so without the hold-off a still screen
 *   would send a key frame every ~3 s. With it, a still period costs one answered request; the next one finds
 *   the stream quiet (no packets for 5 s) and the browser stops asking.
 */
export interface KeyframeRequestOptions {
  /** The peer connection's stats (PeerSession.getStats). */
  stats: () => Promise<RTCStatsReport>;
  /** Milliseconds since the last frame reached the video source. */
  msSinceFrame: () => number;
  /** Sends the current picture again (ScreenCapturer.refresh). */
  refresh: () => void;
  everyMs?: number;
  holdOffMs?: number;
  now?: () => number;
}

type OutboundVideo = { framesEncoded?: number; pliCount?: number; firCount?: number };

export class KeyframeRequests {
  private timer: ReturnType<typeof setInterval> | null = null;
  private busy = false;
  /** pliCount + firCount at the last check; -1 before the first. */
  private requests = -1;
  private lastAnswer = -Infinity;
  private counters = { checks: 0, answered: 0, firstPicture: 0 };
  private readonly everyMs: number;
  private readonly holdOffMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: KeyframeRequestOptions) {
    this.everyMs = opts.everyMs ?? 1000;
    this.holdOffMs = opts.holdOffMs ?? 10_000;
    this.now = opts.now ?? (() => performance.now());
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.everyMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  stats(): { checks: number; answered: number; firstPicture: number } {
    return { ...this.counters };
  }

  /** One check (the timer's); exported for tests. Never throws. */
  async check(): Promise<void> {
    if (this.busy || !this.timer || this.opts.msSinceFrame() < this.everyMs) return;
    this.busy = true;
    try {
      const report = await this.opts.stats();
      if (!this.timer) return;
      this.counters.checks++;
      let video: OutboundVideo | null = null;
      for (const s of report.values() as IterableIterator<Record<string, unknown>>) {
        if (s.type === 'outbound-rtp' && (s.kind ?? s.mediaType) === 'video') video = s;
      }
      if (!video) return; // Not negotiated yet: the first picture follows once it is (see below).
      const requests = (Number(video.pliCount) || 0) + (Number(video.firCount) || 0);
      const previous = this.requests;
      this.requests = requests;
      if (!(Number(video.framesEncoded) > 0)) {
        this.counters.firstPicture++;
        this.opts.refresh();
      } else if (previous >= 0 && requests > previous && this.now() - this.lastAnswer >= this.holdOffMs) {
        this.lastAnswer = this.now();
        this.counters.answered++;
        this.opts.refresh();
      }
    } catch {
      // A closing connection: the next check (or none) decides.
    } finally {
      this.busy = false;
    }
  }
}
