import type { Redis } from 'ioredis';
import { RescueError } from '../../protocol/index.ts';
import { tokenDigest } from '../live-sessions.ts';
import { KEY } from './node-bus.ts';

/** Redis keys of the shared live state (docs/scale.md lists them). */
export const K = {
  code: (code: string) => `rr:code:${code}`,
  deadCode: (code: string) => `rr:code-dead:${code}`,
  session: (id: string) => `rr:session:${id}`,
  nodeSessions: (node: string) => `rr:node-sessions:${node}`,
  /** By the token's digest, as the database keeps it: Redis never holds a customer's token. */
  token: (digest: string) => `rr:token:${digest}`,
  seats: 'rr:seats',
  ended: (id: string) => `rr:ended:${id}`,
  reap: (node: string) => `rr:reap:${node}`,
};

const DAY_S = 86_400;

/** Claims a code unless it is live or recently dead: atomic, so two nodes never hand out one code. */
const CLAIM_CODE = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;

/** Takes a seat for a technician (a technician already seated keeps theirs); ARGV[2] < 0: no limit. */
const TAKE_SEAT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  local limit = tonumber(ARGV[2])
  if limit >= 0 and redis.call('HLEN', KEYS[1]) >= limit then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

/** Frees a seat only if it is still held by that socket (a newer one may hold it). */
const FREE_SEAT = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

export type CodeLookup = { sessionId: string; node: string } | { error: 'CODE_INVALID' | 'CODE_USED' | 'CODE_EXPIRED' };

/** The shared live state of PIN sessions in Redis, as one node reads and writes it. */
export class SharedState {
  private readonly reaps = new Set<NodeJS.Timeout>();

  constructor(
    private readonly redis: Redis,
    private readonly node: string,
    private readonly codeTtlMs: number,
  ) {}

  async claimCode(generate: () => string): Promise<string> {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const code = generate();
      const won = await this.redis.eval(CLAIM_CODE, 2, K.code(code), K.deadCode(code), `claim|${this.node}`, String(this.codeTtlMs));
      if (won === 1) return code;
    }
    throw new RescueError('INTERNAL', 'No free code could be found; try again.');
  }

  releaseClaim(code: string): void {
    void this.redis.del(K.code(code)).catch(() => undefined);
  }

  async placeSession(sessionId: string, code: string, technicianId: string): Promise<void> {
    await this.redis
      .multi()
      .hset(K.session(sessionId), 'home', this.node, 'code', code, 'technician', technicianId)
      .expire(K.session(sessionId), DAY_S)
      .sadd(K.nodeSessions(this.node), sessionId)
      .set(K.code(code), `${sessionId}|${this.node}`, 'PX', this.codeTtlMs)
      .exec();
  }

  retireCode(code: string, why: 'used' | 'expired'): void {
    void this.redis.multi().del(K.code(code)).set(K.deadCode(code), why, 'PX', this.codeTtlMs).exec().catch(() => undefined);
  }

  issueToken(token: string, sessionId: string): void {
    void this.redis.set(K.token(tokenDigest(token)), `${sessionId}|${this.node}`, 'EX', DAY_S).catch(() => undefined);
  }

  forget(sessionId: string, digest: string | null): void {
    const multi = this.redis.multi().del(K.session(sessionId)).srem(K.nodeSessions(this.node), sessionId);
    if (digest !== null) multi.del(K.token(digest));
    void multi.exec().catch(() => undefined);
  }

  async lookupCode(code: string): Promise<CodeLookup> {
    const [live, dead] = await Promise.all([this.redis.get(K.code(code)), this.redis.get(K.deadCode(code))]);
    const home = live === null ? null : split(live);
    if (home && home.sessionId !== 'claim') return home;
    if (dead === 'used') return { error: 'CODE_USED' };
    if (dead === 'expired') return { error: 'CODE_EXPIRED' };
    return { error: 'CODE_INVALID' };
  }

  async homeOfToken(token: string): Promise<{ sessionId: string; node: string } | null> {
    const value = await this.redis.get(K.token(tokenDigest(token)));
    return value === null ? null : split(value);
  }

  async homeOfSession(sessionId: string): Promise<string | null> {
    return this.redis.hget(K.session(sessionId), 'home');
  }

  async takeSeat(technicianId: string, connId: string, seats: number | null): Promise<boolean> {
    return (await this.redis.eval(TAKE_SEAT, 1, K.seats, technicianId, String(seats ?? -1), `${this.node}|${connId}`)) === 1;
  }

  freeSeat(technicianId: string, connId: string): void {
    void this.redis.eval(FREE_SEAT, 1, K.seats, technicianId, `${this.node}|${connId}`).catch(() => undefined);
  }

  /** True for the one caller in the cluster that gets to write a session's end. */
  async claimEnd(sessionId: string): Promise<boolean> {
    return (await this.redis.set(K.ended(sessionId), this.node, 'EX', DAY_S, 'NX')) === 'OK';
  }

  /**
   * A dead node: one surviving node (the first to claim it) frees its seats at
   * once and, after the grace period, ends every session it still held
   * (`end` writes the audit once) and removes its keys.
   */
  async reapNode(node: string, graceMs: number, end: (sessionId: string) => Promise<void>): Promise<void> {
    if ((await this.redis.set(K.reap(node), this.node, 'PX', 3_600_000, 'NX')) !== 'OK') return;
    await this.freeSeatsOf(node);
    const timer = setTimeout(() => {
      this.reaps.delete(timer);
      void (async () => {
        const sessions = await this.redis.smembers(K.nodeSessions(node));
        for (const sessionId of sessions) {
          await end(sessionId);
          const code = await this.redis.hget(K.session(sessionId), 'code');
          if (code !== null && (await this.redis.get(K.code(code)))?.startsWith(`${sessionId}|`)) await this.redis.del(K.code(code));
          await this.redis.del(K.session(sessionId));
        }
        await this.redis.multi().del(K.nodeSessions(node), KEY.inbox(node), KEY.alive(node)).srem(KEY.nodes, node).exec();
      })().catch(() => undefined);
    }, graceMs);
    this.reaps.add(timer);
  }

  /** This node leaves (shutdown): its seats are freed and pending reaps dropped (another node takes them over). */
  async leave(): Promise<void> {
    for (const timer of this.reaps) clearTimeout(timer);
    this.reaps.clear();
    await this.freeSeatsOf(this.node).catch(() => undefined);
  }

  private async freeSeatsOf(node: string): Promise<void> {
    const seats = await this.redis.hgetall(K.seats);
    const mine = Object.entries(seats)
      .filter(([, value]) => value.startsWith(`${node}|`))
      .map(([technicianId]) => technicianId);
    if (mine.length > 0) await this.redis.hdel(K.seats, ...mine);
  }
}

function split(value: string): { sessionId: string; node: string } | null {
  const bar = value.indexOf('|');
  return bar < 0 ? null : { sessionId: value.slice(0, bar), node: value.slice(bar + 1) };
}
