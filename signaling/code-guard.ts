import { RescueError } from '../protocol/index.ts';
import { addressKey } from './client-address.ts';
import { FailureLimiter, WindowCounter, type FailureSnapshot } from './rate-limit.ts';

export interface CodeGuardPolicy {
  slowdownAfter: number;
  lockoutAfter: number;
  lockoutMs: number;
  globalFailuresPerMinute: number;
}

/** The longest the global cap holds a try back; a try that would wait longer is refused with CODE_BUSY. */
export const GLOBAL_MAX_DELAY_MS = 10_000;

/**
 * An address's first `slowdownAfter` wrong codes in this long pass whatever
 * the global state. A day rather than the lockout window, so that a botnet
 * gets its free tries once a day per address, not once per lockout.
 */
export const FIRST_TRIES_WINDOW_MS = 86_400_000;

/** The last few failure times per key, kept for a while: enough to tell whether a key failed fewer than `keep` times. */
class RecentFailures {
  private readonly times = new Map<string, number[]>();

  constructor(
    private readonly keep: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 100_000,
  ) {}

  count(key: string): number {
    const cutoff = this.now() - this.windowMs;
    return (this.times.get(key) ?? []).filter((at) => at > cutoff).length;
  }

  /** The key's failure times still in the window, oldest first. */
  of(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.times.get(key) ?? []).filter((at) => at > cutoff);
  }

  /** Takes back a key's failure times after a restart. */
  adopt(key: string, times: readonly number[]): void {
    const kept = [...times].sort((a, b) => a - b).slice(-this.keep);
    if (kept.length > 0) this.times.set(key, kept);
  }

  add(key: string): void {
    const times = this.times.get(key) ?? [];
    times.push(this.now());
    if (times.length > this.keep) times.shift();
    this.times.delete(key); // re-inserted last: the Map's order is least recently failed first
    if (this.times.size >= this.maxKeys) {
      const oldest = this.times.keys().next();
      if (!oldest.done) this.times.delete(oldest.value);
    }
    this.times.set(key, times);
  }
}

/** What a restart keeps of one address (its /64 for IPv6): signaling/code-failures.ts. */
export interface CodeGuardState {
  limiter: FailureSnapshot | null;
  firstTries: number[];
  /** When nothing of it matters any more. */
  expiresAt: number;
}

/** One reserved code try: wait `delayMs`, look the code up, then settle it once. */
export interface CodeTry {
  delayMs: number;
  failed(): void;
  /** A right code, or a try that was never looked up. Earlier failures stay. */
  released(): void;
}

/**
 * Brute-force protection for code entry. Per address (IPv6: per /64): a
 * slowdown, then a lockout; failures expire with time only, so a right code
 * (say, the attacker's own technician account issuing codes) wipes nothing.
 * Over all addresses: once more than `globalFailuresPerMinute` wrong codes
 * arrived in the last minute, tries are spaced out to that rate (held back,
 * not refused, up to GLOBAL_MAX_DELAY_MS), except an address's first
 * `slowdownAfter` tries in a day, which pass whatever the global state, so a
 * botnet guessing at the cap cannot keep a customer with the right code out.
 */
export class CodeGuard {
  private readonly perAddress: FailureLimiter;
  private readonly global: WindowCounter;
  private readonly firstTries: RecentFailures;
  private readonly spacingMs: number;
  private nextSlotAt = -Infinity;
  private onFailure: ((key: string, state: CodeGuardState) => void) | null = null;

  constructor(
    private readonly policy: CodeGuardPolicy,
    private readonly now: () => number,
  ) {
    this.perAddress = new FailureLimiter(
      { windowMs: policy.lockoutMs, slowAfter: policy.slowdownAfter, slowBaseMs: 1000, slowMaxMs: 30_000, lockAfter: policy.lockoutAfter, lockMs: policy.lockoutMs },
      now,
    );
    this.global = new WindowCounter(60_000, now);
    this.firstTries = new RecentFailures(policy.slowdownAfter, FIRST_TRIES_WINDOW_MS, now);
    this.spacingMs = 60_000 / policy.globalFailuresPerMinute;
  }

  /** Reserves one try from `address`; throws CODE_LOCKED_OUT, CODE_SLOW_DOWN or CODE_BUSY. */
  begin(address: string): CodeTry {
    const key = addressKey(address);
    const exempt = this.firstTries.count(key) + this.perAddress.pending(key) < this.policy.slowdownAfter;
    const reserved = this.perAddress.reserve(key);
    if (!reserved.ok) {
      const seconds = Math.ceil(reserved.retryAfterMs / 1000);
      if (reserved.kind === 'locked') throw new RescueError('CODE_LOCKED_OUT', `Too many wrong codes from this address; try again in ${seconds} s.`);
      throw new RescueError('CODE_SLOW_DOWN', `Too many wrong codes; wait ${seconds} s before trying again.`);
    }
    let delayMs = 0;
    if (!exempt && this.global.count() >= this.policy.globalFailuresPerMinute) {
      const now = this.now();
      const slot = Math.max(now, this.nextSlotAt);
      delayMs = slot - now;
      if (delayMs > GLOBAL_MAX_DELAY_MS) {
        reserved.released();
        throw new RescueError('CODE_BUSY', `Too many wrong codes are being tried right now; try again in ${Math.ceil(delayMs / 1000)} s.`);
      }
      this.nextSlotAt = slot + this.spacingMs;
    }
    let settled = false;
    return {
      delayMs,
      failed: () => {
        if (settled) return;
        settled = true;
        reserved.failed();
        this.firstTries.add(key);
        this.global.add();
        this.onFailure?.(key, this.stateOf(key));
      },
      released: () => {
        settled = true;
        reserved.released();
      },
    };
  }

  /** Calls `sink` after each wrong code with what a restart must keep of its address. */
  persistTo(sink: (key: string, state: CodeGuardState) => void): void {
    this.onFailure = sink;
  }

  /** Takes back an address key's state after a restart (start-up, before any try). */
  adopt(key: string, state: Pick<CodeGuardState, 'limiter' | 'firstTries'>): void {
    if (state.limiter) this.perAddress.adopt(key, state.limiter);
    this.firstTries.adopt(key, state.firstTries);
  }

  private stateOf(key: string): CodeGuardState {
    const limiter = this.perAddress.snapshot(key);
    const firstTries = this.firstTries.of(key);
    const expiresAt = Math.max(
      limiter?.lockedUntil ?? 0,
      (limiter?.failures.at(-1) ?? 0) + this.policy.lockoutMs,
      (firstTries.at(-1) ?? 0) + FIRST_TRIES_WINDOW_MS,
    );
    return { limiter, firstTries, expiresAt };
  }

  /** Wrong codes from the address (its /64 for IPv6) in the window. */
  failures(address: string): number {
    return this.perAddress.failureCount(addressKey(address));
  }
}
