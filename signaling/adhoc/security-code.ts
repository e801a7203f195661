import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** How long a security code works after the console shows it. */
export const SECURITY_CODE_TTL_MS = 15 * 60 * 1000;
/** Wrong codes one deployment link may take before its code is voided (the technician issues a new one). */
export const CODE_FAILURES_PER_SESSION = 5;
/** Wrong codes one address may send per window before it is locked out. */
export const CODE_FAILURES_PER_ADDRESS = 10;
export const ADDRESS_WINDOW_MS = 15 * 60 * 1000;
/** Wrong codes from everyone per minute before all code entry pauses (a distributed guess). */
export const CODE_FAILURES_GLOBAL_PER_MINUTE = 100;

/** 9 random digits (about 30 bits), drawn uniformly. */
export function generateSecurityCode(): string {
  let code = '';
  for (let i = 0; i < 9; i++) code += String(randomInt(10));
  return code;
}

/** A random 256-bit token in base64url (deployment and agent tokens). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The code's hash is bound to the session so equal codes of two sessions differ in the table. */
export function hashSecurityCode(adhocId: string, code: string): string {
  return sha256(`${adhocId}:${code}`);
}

export function codeMatches(adhocId: string, code: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecurityCode(adhocId, code), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export type CodeLimit = 'ok' | 'address_locked' | 'busy';

/** A code try counted before the code is looked at: settled once, as a failure or not. */
export interface CodeTry {
  limit: CodeLimit;
  /** Counts the try as a wrong code (`failed`) or gives its place back; only the first call counts. */
  settle(failed: boolean): void | Promise<void>;
}

/**
 * Counts wrong security codes: on one node in memory (CodeFailureLimiter), over a cluster in Redis (adhoc-nodes.ts).
 * A try is reserved before the code is checked and tries in flight count against the limits, so guesses sent at
 * once (on one node or spread over several) get no more checks than guesses sent one after the other.
 */
export interface CodeLimiter {
  reserve(address: string, now: number): CodeTry | Promise<CodeTry>;
}

/**
 * Counts wrong security codes per client address and globally, like the PIN
 * code limiter: fixed windows, so memory stays bounded by the addresses seen in
 * one window (pruned on every call).
 */
export class CodeFailureLimiter implements CodeLimiter {
  readonly #byAddress = new Map<string, { count: number; since: number; pending: number }>();
  #global = { count: 0, since: 0, pending: 0 };

  reserve(address: string, now: number): CodeTry {
    this.#prune(now);
    if (now - this.#global.since >= 60_000) this.#global = { count: 0, since: now, pending: this.#global.pending };
    let entry = this.#byAddress.get(address);
    if (this.#global.count + this.#global.pending >= CODE_FAILURES_GLOBAL_PER_MINUTE) return refusedTry('busy');
    if (entry && entry.count + entry.pending >= CODE_FAILURES_PER_ADDRESS) return refusedTry('address_locked');
    if (!entry) this.#byAddress.set(address, (entry = { count: 0, since: now, pending: 0 }));
    const global = this.#global;
    const mine = entry;
    global.pending++;
    mine.pending++;
    let settled = false;
    return {
      limit: 'ok',
      settle: (failed) => {
        if (settled) return;
        settled = true;
        global.pending--;
        mine.pending--;
        if (!failed) return;
        // The window may have turned while the code was checked: count in the current one.
        this.#global.count++;
        const current = this.#byAddress.get(address);
        if (current) current.count++;
        else this.#byAddress.set(address, { count: 1, since: now, pending: 0 });
      },
    };
  }

  #prune(now: number): void {
    for (const [address, entry] of this.#byAddress) {
      if (entry.pending === 0 && now - entry.since >= ADDRESS_WINDOW_MS) this.#byAddress.delete(address);
    }
  }
}

/** A try refused before its code is looked at: nothing to settle. */
export function refusedTry(limit: 'busy' | 'address_locked'): CodeTry {
  return { limit, settle: () => undefined };
}
