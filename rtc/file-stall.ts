import type { FilePort } from './file-channel-port.ts';

/**
 * Tells a stalled transfer from a slow one. Anything that moved counts: a
 * frame sent, an ack that advanced, the channel's queue draining (SCTP is
 * still delivering, however slowly, e.g. under heavy loss). Time while the
 * connection is not `connected` does not count: the path is down, and the
 * session's grace period (ICE restart, or the end of the session) decides,
 * not a file timer. Only `stallMs` of nothing on a live path is a stall.
 */
export class StallWatch {
  private lastMoveAt = Date.now();
  private lastAcked = -1;
  private lastBuffered = Infinity;

  constructor(
    private readonly port: FilePort,
    private readonly stallMs: number,
  ) {}

  /** Something moved now (e.g. a frame was sent). */
  moved(): void {
    this.lastMoveAt = Date.now();
  }

  /** True when nothing moved for `stallMs` while the path was up. `buffered` is the port's bufferedAmount now. */
  stalled(acked: number, buffered: number): boolean {
    const now = Date.now();
    const drained = buffered < this.lastBuffered;
    this.lastBuffered = buffered;
    if (acked !== this.lastAcked || drained) {
      this.lastAcked = acked;
      this.lastMoveAt = now;
      return false;
    }
    if (now - this.lastMoveAt <= this.stallMs) return false;
    if (this.port.pathUp === false) {
      this.lastMoveAt = now;
      return false;
    }
    return true;
  }
}
