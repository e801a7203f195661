import wrtc from '@roamhq/wrtc';
import type { I420Frame } from '../platform/screen-capturer.ts';

export interface VideoTrackStats {
  pushed: number;
  dropped: number;
}

/**
 * The agent's screen as a WebRTC video track: I420 frames pushed into
 * `nonstandard.RTCVideoSource` (screencast mode, so libwebrtc keeps the
 * resolution and lowers the frame rate under pressure). Frames that arrive
 * faster than the target rate, or that are already stale when they arrive
 * (the event loop was busy), are dropped here; libwebrtc's encoder drops
 * more itself when encoding falls behind and adapts the bitrate to the path.
 */
export class ScreenVideoTrack {
  readonly track: MediaStreamTrack;
  private readonly source: InstanceType<typeof wrtc.nonstandard.RTCVideoSource>;
  private lastPushed = -Infinity;
  private counters: VideoTrackStats = { pushed: 0, dropped: 0 };
  private minIntervalMs: number;
  private stopped = false;

  constructor(fps: number) {
    this.source = new wrtc.nonstandard.RTCVideoSource({ isScreencast: true });
    this.track = this.source.createTrack();
    this.minIntervalMs = this.intervalFor(fps);
  }

  setFps(fps: number): void {
    this.minIntervalMs = this.intervalFor(fps);
  }

  /** Pushes one frame unless it comes too early or too late, or the track has stopped. */
  push(frame: I420Frame): boolean {
    // A frame still in flight from the capturer after stop() must not reach the
    // native source: feeding a stopped track's source is where wrtc can crash.
    if (this.stopped) return false;
    const now = performance.now();
    const tooSoon = now - this.lastPushed < this.minIntervalMs;
    const stale = now - frame.at > 4 * this.minIntervalMs + 50;
    if (tooSoon || stale) {
      this.counters.dropped++;
      return false;
    }
    this.lastPushed = now;
    this.counters.pushed++;
    this.source.onFrame({ width: frame.width, height: frame.height, data: frame.data as unknown as Uint8Array });
    return true;
  }

  stats(): VideoTrackStats {
    return { ...this.counters };
  }

  /** Stops the track; later pushes are ignored. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.track.stop();
  }

  private intervalFor(fps: number): number {
    // A little slack so a capturer running at exactly `fps` is not halved by jitter.
    return (1000 / Math.max(1, Math.min(60, fps))) * 0.75;
  }
}
