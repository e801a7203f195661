/**
 * Failure-based limits for logins and PIN codes. A key (an address or an
 * account) that keeps failing is first slowed (each further try must wait an
 * exponentially growing delay after the last one), then locked out for a
 * while. Successful tries are never counted, and they do not wipe earlier
 * failures: failures expire with time only (`reset` exists for the one case
 * where a success proves the key's owner, a login for one account).
 *
 * A try is reserved before it is checked (`reserve`) and counts as a failure
 * while it is in flight, so a burst of parallel tries cannot get more checks
 * than the limit however many arrive before the first answer. Memory is
 * bounded: old keys are dropped once the map grows past `maxKeys`.
 */

export interface FailurePolicy {
  /** Failures older than this are forgotten. */
  windowMs: number;
  /** From this many failures on, each try waits `slowBaseMs * 2^(n - slowAfter)` after the last try. */
  slowAfter?: number;
  slowBaseMs?: number;
  slowMaxMs?: number;
  /** This many failures within the window lock the key for `lockMs` (Infinity: never). */
  lockAfter: number;
  lockMs: number;
}

export type Verdict = { ok: true } | { ok: false; kind: 'slow' | 'locked'; retryAfterMs: number };

/** A reserved try: settle it once with `failed()` or `released()` (a success, or no check made). */
export interface Reservation {
  failed(): void;
  released(): void;
}

/** A key's state as a restart keeps it (signaling/code-failures.ts). */
export interface FailureSnapshot {
  failures: number[];
  lockedUntil: number;
  lastTryAt: number;
}

interface Entry {
  failures: number[];
  /** Reserved tries not yet settled. */
  pending: number;
  /** When the last try was reserved or failed (the slowdown counts from it). */
  lastTryAt: number;
  lockedUntil: number;
}

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: FailurePolicy,
    private readonly now: () => number,
    private readonly maxKeys = 50_000,
  ) {}

  /** Whether `key` may try now (tries in flight count as failures). */
  check(key: string): Verdict {
    const entry = this.entries.get(key);
    if (!entry) return { ok: true };
    const now = this.now();
    if (entry.lockedUntil > now) return { ok: false, kind: 'locked', retryAfterMs: entry.lockedUntil - now };
    this.prune(entry, now);
    const count = entry.failures.length + entry.pending;
    if (count >= this.policy.lockAfter) {
      // Reached only while tries are in flight: the lock (or a slot) is decided when they settle.
      const oldest = entry.failures[0];
      return { ok: false, kind: 'locked', retryAfterMs: oldest === undefined ? 1000 : Math.max(1000, oldest + this.policy.windowMs - now) };
    }
    const delay = this.delayFor(count);
    if (delay > 0 && now - entry.lastTryAt < delay) return { ok: false, kind: 'slow', retryAfterMs: delay - (now - entry.lastTryAt) };
    return { ok: true };
  }

  /** Checks and, when allowed, reserves one try. */
  reserve(key: string): ({ ok: true } & Reservation) | Extract<Verdict, { ok: false }> {
    const verdict = this.check(key);
    if (!verdict.ok) return verdict;
    const entry = this.entry(key);
    entry.pending++;
    entry.lastTryAt = this.now();
    let settled = false;
    const settle = (failed: boolean): void => {
      if (settled) return;
      settled = true;
      entry.pending--;
      if (failed) this.record(key, entry);
    };
    return { ok: true, failed: () => settle(true), released: () => settle(false) };
  }

  /** Records a failure that was not reserved; returns the verdict for the next try. */
  fail(key: string): Verdict {
    this.record(key, this.entry(key));
    return this.check(key);
  }

  /** Forgets the key's failures. A running lockout and tries in flight stay. */
  reset(key: string): void {
    const entry = this.entries.get(key);
    if (entry) entry.failures = [];
  }

  failureCount(key: string): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    this.prune(entry, this.now());
    return entry.failures.length;
  }

  /** What a restart must keep of the key (failures in the window, a running lockout), or null when nothing. */
  snapshot(key: string): FailureSnapshot | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    const now = this.now();
    this.prune(entry, now);
    if (entry.failures.length === 0 && entry.lockedUntil <= now) return null;
    return { failures: [...entry.failures], lockedUntil: entry.lockedUntil, lastTryAt: Number.isFinite(entry.lastTryAt) ? entry.lastTryAt : 0 };
  }

  /** Takes back a snapshot after a restart (start-up, before any try). */
  adopt(key: string, snapshot: FailureSnapshot): void {
    const entry = this.entry(key);
    entry.failures = snapshot.failures.slice(-Math.max(1, this.policy.lockAfter)).sort((a, b) => a - b);
    entry.lockedUntil = snapshot.lockedUntil;
    entry.lastTryAt = Math.max(entry.lastTryAt, snapshot.lastTryAt);
    this.prune(entry, this.now());
  }

  /** Tries reserved and not settled yet. */
  pending(key: string): number {
    return this.entries.get(key)?.pending ?? 0;
  }

  private delayFor(count: number): number {
    const { slowAfter, slowBaseMs = 1000, slowMaxMs = 30_000 } = this.policy;
    if (slowAfter === undefined || count < slowAfter) return 0;
    return Math.min(slowMaxMs, slowBaseMs * 2 ** Math.min(30, count - slowAfter));
  }

  private entry(key: string): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size >= this.maxKeys) this.evict(this.now());
      entry = { failures: [], pending: 0, lastTryAt: -Infinity, lockedUntil: 0 };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private record(key: string, entry: Entry): void {
    const now = this.now();
    // An evicted entry that is settled late is put back, so the failure still counts.
    if (this.entries.get(key) !== entry) this.entries.set(key, entry);
    this.prune(entry, now);
    entry.failures.push(now);
    entry.lastTryAt = now;
    if (entry.failures.length >= this.policy.lockAfter) {
      entry.lockedUntil = now + this.policy.lockMs;
      entry.failures = [];
    }
  }

  private prune(entry: Entry, now: number): void {
    const cutoff = now - this.policy.windowMs;
    while (entry.failures.length > 0 && (entry.failures[0] ?? 0) <= cutoff) entry.failures.shift();
  }

  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      this.prune(entry, now);
      if (entry.failures.length === 0 && entry.pending === 0 && entry.lockedUntil <= now) this.entries.delete(key);
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
