import { setTimeout as sleep } from 'node:timers/promises';
import { wrtc } from '../../../turn/wrtc.ts';

/** A synthetic I420 video source whose picture changes every frame (so the encoder has work). */
export class MovingSource {
  readonly source = new wrtc.nonstandard.RTCVideoSource({ isScreencast: true });
  readonly track: MediaStreamTrack = this.source.createTrack();
  private n = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly width = 320,
    readonly height = 240,
  ) {}

  /** Pushes one frame: each frame gets its own exactly sized buffer (see FACTS.md). */
  push(): void {
    const size = this.width * this.height;
    const data = new Uint8ClampedArray(size * 1.5);
    const bar = (this.n * 8) % this.width;
    for (let y = 0; y < this.height; y++) {
      const row = y * this.width;
      data.fill(40, row, row + this.width);
      data.fill(220, row + bar, row + Math.min(this.width, bar + 16));
    }
    data.fill(128, size);
    this.source.onFrame({ width: this.width, height: this.height, data: data as unknown as Uint8Array });
    this.n++;
  }

  start(fps = 30): void {
    this.timer = setInterval(() => this.push(), Math.round(1000 / fps));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.track.stop();
  }
}

/** Counts frames arriving on a remote track through an RTCVideoSink. */
export class FrameCounter {
  frames = 0;
  width = 0;
  height = 0;
  private readonly sink;

  constructor(track: MediaStreamTrack) {
    this.sink = new wrtc.nonstandard.RTCVideoSink(track);
    this.sink.onframe = (ev: { frame: { width: number; height: number } }) => {
      this.frames++;
      this.width = ev.frame.width;
      this.height = ev.frame.height;
    };
  }

  /** Waits (bounded) for at least n frames. */
  async waitFor(n: number, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames < n && Date.now() < deadline) await sleep(20);
    return this.frames;
  }

  stop(): void {
    this.sink.stop();
  }
}
