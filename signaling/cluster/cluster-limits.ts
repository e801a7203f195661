import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RescueError } from '../../protocol/index.ts';
import { addressKey } from '../client-address.ts';
import { FIRST_TRIES_WINDOW_MS, GLOBAL_MAX_DELAY_MS } from '../code-guard.ts';
import type { Config } from '../config.ts';

/**
 * Reserves a try for a key unless it is locked or its failures plus tries in
 * flight reached the limit; returns 0, how long the lock lasts (ms), or -1 when
 * only tries still in flight stand in the way (they may yet succeed: wait).
 */
const RESERVE = `
local lock = redis.call('PTTL', KEYS[3])
if lock > 0 then return lock end
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local failures = redis.call('ZCARD', KEYS[1])
if failures >= tonumber(ARGV[3]) then return 1000 end
if failures + tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[3]) then return -1 end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], 60000)
return 0`;

/** How long a try waits for the tries in flight ahead of it before it is refused. */
const RESERVE_WAIT_MS = 3000;

/** Settles a reserved try; a failure that reaches the limit locks the key. */
const SETTLE = `
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[6])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
    redis.call('SET', KEYS[3], '1', 'PX', ARGV[5])
    redis.call('DEL', KEYS[1])
  end
end
return 1`;

/** The global code cap: a slot spaced `ARGV[2]` ms after the last one, or -1 when it is more than ARGV[3] ms away. */
const GLOBAL_SLOT = `
local now = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
if slot - now > tonumber(ARGV[3]) then return -1 end
redis.call('SET', KEYS[1], tostring(slot + tonumber(ARGV[2])), 'PX', 60000)
return slot - now`;

interface Limit {
  name: string;
  windowMs: number;
  lockAfter: number;
  lockMs: number;
}

type Outcome = 'failed' | 'released';

/**
 * The lockouts and the global code cap counted over all nodes (Redis keys
 * with expiry), on top of each node's own guard (slowdowns, first tries):
 * an address that spreads its guesses over several nodes gets no more tries
 * than it would on one. docs/scale.md.
 */
export class ClusterLimits {
  constructor(
    private readonly redis: Redis,
    private readonly config: Readonly<Config>,
    private readonly now: () => number,
  ) {}

  /** One code try from `address`; throws CODE_LOCKED_OUT or CODE_BUSY. */
  async beginCode(address: string): Promise<{ delayMs: number; failed(): void; released(): void }> {
    const key = addressKey(address);
    const limit: Limit = { name: 'code', windowMs: this.config.codeLockoutSeconds * 1000, lockAfter: this.config.codeLockoutAfter, lockMs: this.config.codeLockoutSeconds * 1000 };
    const wait = await this.reserve(limit, key);
    if (wait > 0) throw new RescueError('CODE_LOCKED_OUT', `Too many wrong codes from this address; try again in ${Math.ceil(wait / 1000)} s.`);
    const settle = this.settler(limit, key);
    let delayMs = 0;
    const minute = Math.floor(this.now() / 60_000);
    const [[, recent], [, first]] = (await this.redis
      .multi()
      .get(`rr:limit:code-global:${minute}`)
      .get(`rr:limit:code-first:${key}`)
      .exec()) as [[unknown, string | null], [unknown, string | null]];
    const exempt = Number(first ?? 0) < this.config.codeSlowdownAfter;
    if (!exempt && Number(recent ?? 0) >= this.config.codeGlobalFailuresPerMinute) {
      const spacing = 60_000 / this.config.codeGlobalFailuresPerMinute;
      delayMs = Number(await this.redis.eval(GLOBAL_SLOT, 1, 'rr:limit:code-slot', String(this.now()), String(spacing), String(GLOBAL_MAX_DELAY_MS)));
      if (delayMs < 0) {
        settle('released');
        throw new RescueError('CODE_BUSY', 'Too many wrong codes are being tried right now; try again in a few seconds.');
      }
    }
    return {
      delayMs,
      failed: () => {
        settle('failed');
        void this.redis
          .multi()
          .incr(`rr:limit:code-global:${minute}`)
          .expire(`rr:limit:code-global:${minute}`, 120)
          .incr(`rr:limit:code-first:${key}`)
          .pexpire(`rr:limit:code-first:${key}`, FIRST_TRIES_WINDOW_MS)
          .exec()
          .catch(() => undefined);
      },
      released: () => settle('released'),
    };
  }

  /** One password check; throws LOGIN_LOCKED. `succeeded` forgets the pair's failures. */
  async beginLogin(email: string, address: string): Promise<{ failed(): void; succeeded(): void; released(): void }> {
    const addressId = addressKey(address);
    const lockMs = this.config.loginLockoutSeconds * 1000;
    const byAddress: Limit = { name: 'login-address', windowMs: lockMs, lockAfter: this.config.loginIpLockoutAfter, lockMs };
    const byPair: Limit = { name: 'login-pair', windowMs: lockMs, lockAfter: this.config.loginLockoutAfter, lockMs };
    const pairKey = `${email}\n${addressId}`;
    const minutes = (ms: number): string => `${Math.max(1, Math.ceil(ms / 60_000))} min`;
    const addressWait = await this.reserve(byAddress, addressId);
    if (addressWait > 0) throw new RescueError('LOGIN_LOCKED', `Too many failed logins from this address; try again in ${minutes(addressWait)}.`);
    const settleAddress = this.settler(byAddress, addressId);
    const pairWait = await this.reserve(byPair, pairKey);
    if (pairWait > 0) {
      settleAddress('released');
      throw new RescueError('LOGIN_LOCKED', `Too many failed logins for this account from this address; try again in ${minutes(pairWait)}.`);
    }
    const settlePair = this.settler(byPair, pairKey);
    return {
      failed: () => {
        settleAddress('failed');
        settlePair('failed');
      },
      succeeded: () => {
        settleAddress('released');
        settlePair('released');
        void this.redis.del(this.keys(byPair, pairKey)[0]).catch(() => undefined);
      },
      released: () => {
        settleAddress('released');
        settlePair('released');
      },
    };
  }

  private keys(limit: Limit, key: string): [string, string, string] {
    const base = `rr:limit:${limit.name}:${key}`;
    return [`${base}:failures`, `${base}:pending`, `${base}:lock`];
  }

  /**
   * 0 once a try is reserved, or how long the key is locked (ms). Tries in
   * flight count against the limit, so parallel guesses never get more checks
   * than serial ones; a try that finds only tries in flight in its way waits
   * for them to settle (right codes from one address at once all get in),
   * for at most RESERVE_WAIT_MS, then counts as locked.
   */
  private async reserve(limit: Limit, key: string): Promise<number> {
    const until = Date.now() + RESERVE_WAIT_MS;
    for (;;) {
      const answer = Number(await this.redis.eval(RESERVE, 3, ...this.keys(limit, key), String(this.now()), String(limit.windowMs), String(limit.lockAfter)));
      if (answer >= 0) return answer;
      if (Date.now() >= until) return 1000;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Settles a reservation once. */
  private settler(limit: Limit, key: string): (outcome: Outcome) => void {
    let settled = false;
    return (outcome) => {
      if (settled) return;
      settled = true;
      const member = `${this.now()}:${randomBytes(4).toString('hex')}`;
      void this.redis
        .eval(SETTLE, 3, ...this.keys(limit, key), String(this.now()), outcome === 'failed' ? '1' : '0', String(limit.windowMs), String(limit.lockAfter), String(limit.lockMs), member)
        .catch(() => undefined);
    };
  }
}
