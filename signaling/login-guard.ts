import { RescueError } from '../protocol/index.ts';
import { addressKey } from './client-address.ts';
import { FailureLimiter, type Reservation } from './rate-limit.ts';

export interface LoginPolicy {
  /** How long failures count, and how long a lock lasts. */
  lockMs: number;
  /** Failures for one account from one address that lock that pair (LOGIN_LOCKOUT_AFTER). */
  pairLockAfter: number;
  /** Failures from one address over all accounts that lock the address (LOGIN_IP_LOCKOUT_AFTER). */
  addressLockAfter: number;
  /** Failures for one account from anywhere after which new addresses are spaced out (LOGIN_SLOWDOWN_AFTER). */
  accountSlowAfter: number;
  accountSlowMaxMs: number;
}

/** One reserved password check: settle it once. */
export interface LoginTry {
  failed(): void;
  /** The right password: the pair's failures are forgotten (the address's and the account's stay). */
  succeeded(): void;
  /** The right password for an account that may not log in (disabled): nothing is counted. */
  released(): void;
}

const minutes = (ms: number): string => `${Math.max(1, Math.ceil(ms / 60_000))} min`;

/**
 * Login limits, reserved before the password is verified so that however many
 * guesses arrive at once, at most `pairLockAfter` per (account, address) and
 * `addressLockAfter` per address are ever checked in a window.
 *
 * The hard lock is per (account, address): someone guessing from elsewhere
 * cannot lock the technician out. What they do cause is a per-account
 * slowdown, and only for addresses the account has not logged in from lately
 * (`known`): from `accountSlowAfter` failures on, such an address gets one
 * try per 1 s, 2 s, 4 s ... (at most `accountSlowMaxMs`) for the whole
 * account, so many addresses together still guess slowly (docs/decisions.md).
 */
export class LoginGuard {
  private readonly pair: FailureLimiter;
  private readonly address: FailureLimiter;
  private readonly account: FailureLimiter;

  constructor(policy: LoginPolicy, now: () => number) {
    const { lockMs } = policy;
    this.pair = new FailureLimiter({ windowMs: lockMs, lockAfter: policy.pairLockAfter, lockMs }, now);
    this.address = new FailureLimiter({ windowMs: lockMs, lockAfter: policy.addressLockAfter, lockMs }, now);
    this.account = new FailureLimiter(
      { windowMs: lockMs, slowAfter: policy.accountSlowAfter, slowBaseMs: 1000, slowMaxMs: policy.accountSlowMaxMs, lockAfter: Infinity, lockMs: 0 },
      now,
    );
  }

  /** Reserves one check of `email`'s password from `address`; throws LOGIN_LOCKED or LOGIN_SLOW_DOWN. */
  begin(email: string, address: string, known: boolean): LoginTry {
    const addressId = addressKey(address);
    const pairId = `${email}\n${addressId}`;
    const byAddress = this.address.check(addressId);
    if (!byAddress.ok) throw new RescueError('LOGIN_LOCKED', `Too many failed logins from this address; try again in ${minutes(byAddress.retryAfterMs)}.`);
    const byPair = this.pair.check(pairId);
    if (!byPair.ok) throw new RescueError('LOGIN_LOCKED', `Too many failed logins for this account from this address; try again in ${minutes(byPair.retryAfterMs)}.`);
    if (!known) {
      const byAccount = this.account.check(email);
      if (!byAccount.ok) {
        const seconds = Math.ceil(byAccount.retryAfterMs / 1000);
        throw new RescueError('LOGIN_SLOW_DOWN', `Too many failed logins for this account; wait ${seconds} s before trying again.`);
      }
    }
    // Every check above passed and nothing ran in between, so these reservations hold.
    const held = [this.address.reserve(addressId), this.pair.reserve(pairId), ...(known ? [] : [this.account.reserve(email)])].filter(
      (reservation): reservation is { ok: true } & Reservation => reservation.ok,
    );
    let settled = false;
    const settle = (outcome: 'failed' | 'succeeded' | 'released'): void => {
      if (settled) return;
      settled = true;
      for (const reservation of held) {
        if (outcome === 'failed') reservation.failed();
        else reservation.released();
      }
      if (outcome === 'failed' && known) this.account.fail(email);
      if (outcome === 'succeeded') this.pair.reset(pairId);
    };
    return { failed: () => settle('failed'), succeeded: () => settle('succeeded'), released: () => settle('released') };
  }
}
