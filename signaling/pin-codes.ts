import { randomInt } from 'node:crypto';
import { RescueError } from '../protocol/index.ts';

/** A 6-digit code from the CSPRNG, leading zeros kept. */
export function randomPinCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

type Tombstone = { why: 'used' | 'expired'; until: number };

/**
 * The live PIN codes (code -> session id). A code is unique among live codes
 * and recently dead ones (so CODE_USED / CODE_EXPIRED stay unambiguous), is
 * consumed once, and is remembered as dead for one TTL after it dies.
 */
export class PinCodeBook {
  private readonly live = new Map<string, string>();
  private readonly dead = new Map<string, Tombstone>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly generate: () => string = randomPinCode,
  ) {}

  /** Issues a fresh code for the session. */
  issue(sessionId: string): string {
    this.pruneDead();
    for (let attempt = 0; attempt < 1000; attempt++) {
      const code = this.generate();
      if (!this.live.has(code) && !this.dead.has(code)) {
        this.live.set(code, sessionId);
        return code;
      }
    }
    throw new RescueError('INTERNAL', 'No free code could be found; try again.');
  }

  /**
   * Takes back a code a restarted server restores (signaling/restore-sessions.ts);
   * false when it is live already (for another session), so it cannot be taken twice.
   */
  adopt(code: string, sessionId: string): boolean {
    if (this.live.has(code)) return false;
    this.dead.delete(code);
    this.live.set(code, sessionId);
    return true;
  }

  /** The session a live code belongs to, or why it is not live. */
  lookup(code: string): { sessionId: string } | { error: 'CODE_INVALID' | 'CODE_USED' | 'CODE_EXPIRED' } {
    const sessionId = this.live.get(code);
    if (sessionId !== undefined) return { sessionId };
    const tomb = this.dead.get(code);
    if (tomb && tomb.until > this.now()) return { error: tomb.why === 'used' ? 'CODE_USED' : 'CODE_EXPIRED' };
    return { error: 'CODE_INVALID' };
  }

  /**
   * Remembers a code as dead that this process never had live: a restarted server's restored session
   * (signaling/restore-sessions.ts) whose customer used it, so typing it again says CODE_USED, not
   * CODE_INVALID, and it is not issued again for one TTL. Nothing when it is live.
   */
  bury(code: string, why: 'used' | 'expired'): void {
    if (this.live.has(code)) return;
    this.dead.delete(code);
    this.dead.set(code, { why, until: this.now() + this.ttlMs });
  }

  /** Takes a code out of the live set (used, expired, or its session closed). */
  retire(code: string, why: 'used' | 'expired'): void {
    if (this.live.delete(code)) this.dead.set(code, { why, until: this.now() + this.ttlMs });
  }

  get liveCount(): number {
    return this.live.size;
  }

  /**
   * Forgets the tombstones past their TTL. They are added as codes die, each
   * for the same TTL, so the Map holds them oldest first: the walk stops at the
   * first one still in force, O(expired) per issue rather than O(all) (it was
   * 5% of the server's time under the signaling bench, growing with the codes
   * issued). A tombstone out of order (the clock stepped back) only lives a
   * little longer; `lookup` checks `until` anyway.
   */
  private pruneDead(): void {
    const now = this.now();
    for (const [code, tomb] of this.dead) {
      if (tomb.until > now) break;
      this.dead.delete(code);
    }
  }
}
