/**
 * Failure-based limits for logins and PIN codes. A key (an address or an
 * account) that keeps failing is first slowed (each further try must wait an
 * exponentially growing delay after the last failure), then locked out for a
 * while. Successful tries are never counted. Memory is bounded: old keys are
 * dropped once the map grows past `maxKeys`.
 */

export interface FailurePolicy {
  /** Failures older than this are forgotten. */
  windowMs: number;
  /** From this many failures on, each try waits `slowBaseMs * 2^(n - slowAfter)` after the last failure. */
  slowAfter?: number;
  slowBaseMs?: number;
  slowMaxMs?: number;
  /** This many failures within the window lock the key for `lockMs`. */
  lockAfter: number;
  lockMs: number;
}

export type Verdict = { ok: true } | { ok: false; kind: 'slow' | 'locked'; retryAfterMs: number };

interface Entry {
  failures: number[];
  lockedUntil: number;
}

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: FailurePolicy,
    private readonly now: () => number,
    private readonly maxKeys = 50_000,
  ) {}

  /** Whether `key` may try now. */
  check(key: string): Verdict {
    const entry = this.entries.get(key);
    if (!entry) return { ok: true };
    const now = this.now();
    if (entry.lockedUntil > now) return { ok: false, kind: 'locked', retryAfterMs: entry.lockedUntil - now };
    this.prune(entry, now);
    const { slowAfter, slowBaseMs = 1000, slowMaxMs = 30_000 } = this.policy;
    const count = entry.failures.length;
    const last = entry.failures[count - 1];
    if (slowAfter !== undefined && count >= slowAfter && last !== undefined) {
      const delay = Math.min(slowMaxMs, slowBaseMs * 2 ** (count - slowAfter));
      if (now - last < delay) return { ok: false, kind: 'slow', retryAfterMs: delay - (now - last) };
    }
    return { ok: true };
  }

  /** Records a failure; returns the verdict for the next try. */
  fail(key: string): Verdict {
    const now = this.now();
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size >= this.maxKeys) this.evict(now);
      entry = { failures: [], lockedUntil: 0 };
      this.entries.set(key, entry);
    }
    this.prune(entry, now);
    entry.failures.push(now);
    if (entry.failures.length >= this.policy.lockAfter) {
      entry.lockedUntil = now + this.policy.lockMs;
      entry.failures = [];
    }
    return this.check(key);
  }

  /** Forgets the key's failures (after a success). A running lockout stays. */
  succeed(key: string): void {
    const entry = this.entries.get(key);
    if (entry && entry.lockedUntil <= this.now()) this.entries.delete(key);
  }

  failureCount(key: string): number {
    return this.entries.get(key)?.failures.length ?? 0;
  }

  private prune(entry: Entry, now: number): void {
    const cutoff = now - this.policy.windowMs;
    while (entry.failures.length > 0 && (entry.failures[0] ?? 0) <= cutoff) entry.failures.shift();
  }

  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      this.prune(entry, now);
      if (entry.failures.length === 0 && entry.lockedUntil <= now) this.entries.delete(key);
    }
    // Still full: drop the oldest half (Map keeps insertion order).
    if (this.entries.size >= this.maxKeys) {
      let drop = Math.ceil(this.entries.size / 2);
      for (const key of this.entries.keys()) {
        if (drop-- <= 0) break;
        this.entries.delete(key);
      }
    }
  }
}

/** Counts events in a sliding window of one-second buckets (for the global code-failure cap). */
export class WindowCounter {
  private readonly buckets = new Map<number, number>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  add(): void {
    const second = Math.floor(this.now() / 1000);
    this.buckets.set(second, (this.buckets.get(second) ?? 0) + 1);
    this.prune();
  }

  count(): number {
    this.prune();
    let total = 0;
    for (const value of this.buckets.values()) total += value;
    return total;
  }

  private prune(): void {
    const oldest = Math.floor((this.now() - this.windowMs) / 1000);
    for (const second of this.buckets.keys()) if (second <= oldest) this.buckets.delete(second);
  }
}
