import { hash, verify } from '@node-rs/argon2';
import { checkPasswordStrength } from '../../protocol/adhoc.ts';
import { RescueError } from '../../protocol/errors.ts';
import type { Clock } from './clock.ts';
import type { PairingStore } from './pairing-store.ts';

/** argon2id (the library's default algorithm; the PHC string says $argon2id$), 64 MiB, t=3, p=4 (RFC 9106 §4's second recommended option): about 0.1 s here. */
const ARGON2 = { memoryCost: 65_536, timeCost: 3, parallelism: 4 } as const;
/** Wrong passwords before the agent stops listening for a while. */
export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60 * 1000;

export type VerifyResult = { ok: true } | { ok: false; code: 'ADHOC_AUTH_FAILED' | 'RATE_LIMITED'; retryAfterMs?: number };

/**
 * The computer's password: set once at pairing (strength re-checked here, not
 * only in the console), verified on every connection. Failures are counted in
 * the state dir so restarting the agent does not reset them.
 */
export class PasswordVerifier {
  readonly #store: PairingStore;
  readonly #clock: Clock;

  constructor(store: PairingStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async isSet(): Promise<boolean> {
    return (await this.#store.loadHash()) !== null;
  }

  /** Stores the argon2id hash; refuses a weak password and refuses to replace an existing one. */
  async setup(password: string): Promise<void> {
    if (await this.isSet()) throw new RescueError('FORBIDDEN', 'The password is already set.');
    const strength = checkPasswordStrength(password);
    if (!strength.ok) throw new RescueError('PASSWORD_TOO_WEAK', strength.problems.join(' '));
    await this.#store.saveHash(await hash(password, ARGON2));
  }

  async verify(password: string): Promise<VerifyResult> {
    const now = this.#clock.now();
    const lockout = await this.#store.loadLockout();
    if (lockout.lockedUntil > now) return { ok: false, code: 'RATE_LIMITED', retryAfterMs: lockout.lockedUntil - now };
    const phc = await this.#store.loadHash();
    const ok = phc !== null && (await verify(phc, password).catch(() => false));
    if (ok) {
      if (lockout.failures > 0) await this.#store.saveLockout({ failures: 0, lockedUntil: 0 });
      return { ok: true };
    }
    const failures = lockout.failures + 1;
    const locked = failures >= MAX_FAILURES;
    await this.#store.saveLockout({ failures: locked ? 0 : failures, lockedUntil: locked ? now + LOCK_MS : 0 });
    return locked ? { ok: false, code: 'RATE_LIMITED', retryAfterMs: LOCK_MS } : { ok: false, code: 'ADHOC_AUTH_FAILED' };
  }
}
