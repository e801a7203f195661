import wrtc from '@roamhq/wrtc';
import type { I420Frame } from '../platform/screen-capturer.ts';

export interface VideoTrackStats {
  pushed: number;
  /** Frames replaced by a newer one before their slot came (stale: never queued). */
  dropped: number;
}

/**
 * The agent's screen as a WebRTC video track: I420 frames pushed into
 * `nonstandard.RTCVideoSource` (screencast mode, so libwebrtc keeps the
 * resolution and lowers the frame rate under pressure). At most `fps` frames
 * a second reach the source; a frame that comes sooner waits in a one-frame
 * slot until its time, and a newer frame replaces it there. So nothing
 * queues, the newest picture always goes out (a change followed by a still
 * screen is never lost), and libwebrtc's encoder drops more itself when
 * encoding falls behind.
 */
export class ScreenVideoTrack {
  readonly track: MediaStreamTrack;
  private readonly source: InstanceType<typeof wrtc.nonstandard.RTCVideoSource>;
  private lastPushed = -Infinity;
  private counters: VideoTrackStats = { pushed: 0, dropped: 0 };
  private minIntervalMs: number;
  private held: I420Frame | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  /** `onPushed` runs each time a frame reaches the source (the agent's counters). */
  constructor(
    fps: number,
    private readonly onPushed: () => void = () => undefined,
  ) {
    this.source = new wrtc.nonstandard.RTCVideoSource({ isScreencast: true });
    this.track = this.source.createTrack();
    this.minIntervalMs = this.intervalFor(fps);
  }

  /** Milliseconds since a frame last reached the source (Infinity before the first). */
  msSincePush(): number {
    return performance.now() - this.lastPushed;
  }

  setFps(fps: number): void {
    this.minIntervalMs = this.intervalFor(fps);
  }

  /**
   * Offers one frame: it reaches the source now, or when its slot comes if it
   * is early (unless a newer frame replaces it first). False once stopped.
   */
  push(frame: I420Frame): boolean {
    // A frame still in flight from the capturer after stop() must not reach the
    // native source: feeding a stopped track's source is where wrtc can crash.
    if (this.stopped) return false;
    const wait = this.lastPushed + this.minIntervalMs - performance.now();
    if (wait <= 0 && !this.held) {
      this.deliver(frame);
      return true;
    }
    if (this.held) this.counters.dropped++;
    this.held = frame;
    this.timer ??= setTimeout(() => this.releaseHeld(), Math.max(0, wait));
    return true;
  }

  stats(): VideoTrackStats {
    return { ...this.counters };
  }

  /** Stops the track; later pushes and a held frame are dropped. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.held = null;
    this.track.stop();
  }

  private releaseHeld(): void {
    this.timer = null;
    const frame = this.held;
    this.held = null;
    if (frame && !this.stopped) this.deliver(frame);
  }

  private deliver(frame: I420Frame): void {
    this.lastPushed = performance.now();
    this.counters.pushed++;
    this.source.onFrame({ width: frame.width, height: frame.height, data: frame.data as unknown as Uint8Array });
    this.onPushed();
  }

  private intervalFor(fps: number): number {
    // A little slack so a capturer running at exactly `fps` is not held back by jitter.
    return (1000 / Math.max(1, Math.min(60, fps))) * 0.9;
  }
}
