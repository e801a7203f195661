import { randomBytes } from 'node:crypto';
import { RescueError, type ErrorCode } from '../../protocol/index.ts';
import type { Logger } from '../logger.ts';
import { afterCommit, commitPending } from '../turn.ts';
import { RedisLink } from './redis-link.ts';

export const KEY = {
  nodes: 'rr:nodes',
  alive: (node: string) => `rr:node:${node}`,
  inbox: (node: string) => `rr:inbox:${node}`,
};

/** How long a node's liveness key lives; it is renewed three times in that span. */
export const LIVENESS_MS = 3000;
/** How long a call to another node may take before it fails with INTERNAL. */
const CALL_TIMEOUT_MS = 5000;
/** An inbox keeps at most about this many entries (a reader far behind loses the oldest). */
const INBOX_MAX = 100_000;

/** The cast a node sends every other live node as it stops cleanly. */
const LEFT_OP = 'bus.left';
/**
 * The cast a node sends every node it found as it starts: a node that started
 * a moment before it did not see it in `rr:nodes` and would leave it out of
 * its broadcasts until its next liveness check (a console on the new node
 * missed the change an agent on the older node made in that second).
 */
const JOINED_OP = 'bus.joined';

export type BusMessage =
  | { t: 'call'; id: string; from: string; op: string; args: unknown }
  | { t: 'reply'; id: string; ok: true; value: unknown }
  | { t: 'reply'; id: string; ok: false; code: ErrorCode; message: string }
  | { t: 'cast'; from: string; op: string; args: unknown };

export interface BusHandlers {
  /** Answers another node's call; a thrown RescueError goes back as the caller's rejection. */
  call(op: string, args: unknown, from: string): unknown;
  cast(op: string, args: unknown, from: string): void;
  /** Nodes whose liveness key expired (each reported once). */
  dead(nodes: string[]): void;
}

/**
 * Messages between nodes: each node reads its own Redis stream (its inbox) in
 * order with a blocking XREAD on a connection of its own, and others XADD to
 * it. A stream keeps what was written while the reader's connection was
 * re-established, so nothing sent in order is lost or reordered. A node
 * renews its liveness key (PX LIVENESS_MS) every third of that; the others
 * look at every member of `rr:nodes` and report those whose key is gone.
 */
export class NodeBus {
  readonly nodeId = randomBytes(6).toString('hex');
  readonly link: RedisLink;
  private readonly reader: RedisLink;
  private readonly pending = new Map<string, { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
  private readonly known = new Set<string>();
  private readonly gone = new Set<string>();
  private handlers: BusHandlers | null = null;
  private stopped = false;
  private beat: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private lastId = '0-0';

  constructor(
    url: string,
    private readonly logger: Logger,
  ) {
    this.link = new RedisLink(url, logger, 'commands');
    this.reader = new RedisLink(url, logger, 'inbox');
  }

  get redis() {
    return this.link.redis;
  }

  async start(handlers: BusHandlers): Promise<void> {
    this.handlers = handlers;
    try {
      await this.link.connect();
      await this.reader.connect();
      await this.renew();
      await this.look();
      await this.announce();
    } catch (error) {
      this.link.redis.disconnect();
      this.reader.redis.disconnect();
      throw error;
    }
    this.beat = setInterval(() => {
      this.renew().catch(() => undefined);
      this.look().catch(() => undefined);
    }, LIVENESS_MS / 3);
    this.reading = this.read();
  }

  problem(): string | null {
    return this.link.problem() ?? this.reader.problem();
  }

  /** Whether a node is believed alive (its key was seen lately). */
  isAlive(node: string): boolean {
    return node === this.nodeId || !this.gone.has(node);
  }

  liveNodes(): string[] {
    return [...this.known].filter((node) => !this.gone.has(node) && node !== this.nodeId);
  }

  /**
   * The live nodes as Redis has them now, for a question every node must
   * answer (who is online): `liveNodes()` learns of a node that started a
   * moment ago only at the next liveness check.
   */
  async currentNodes(): Promise<string[]> {
    await this.look().catch(() => undefined);
    return this.liveNodes();
  }

  cast(node: string, op: string, args: unknown): void {
    this.post(node, { t: 'cast', from: this.nodeId, op, args });
  }

  call(node: string, op: string, args: unknown): Promise<unknown> {
    if (!this.isAlive(node)) return Promise.reject(new RescueError('INTERNAL', 'The server that holds this session is gone; try again.'));
    const id = randomBytes(8).toString('hex');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RescueError('INTERNAL', 'Another server did not answer in time; try again.'));
      }, CALL_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.post(node, { t: 'call', id, from: this.nodeId, op, args });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.beat) clearInterval(this.beat);
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(new RescueError('INTERNAL', 'This server is shutting down.'));
    }
    this.pending.clear();
    // Tell the others now: the liveness check would see the node gone only at its next beat, and a call
    // made before that (every console's session.list) would wait for an inbox nobody reads.
    await this.castToAllNow(LEFT_OP);
    await this.redis
      .multi()
      .srem(KEY.nodes, this.nodeId)
      .del(KEY.alive(this.nodeId), KEY.inbox(this.nodeId))
      .exec()
      .catch(() => undefined);
    this.reader.redis.disconnect();
    await this.reading?.catch(() => undefined);
    await this.link.close();
  }

  /** Tells the nodes this one found that it is here; they add it to their broadcasts at once. */
  private announce(): Promise<void> {
    return this.castToAllNow(JOINED_OP);
  }

  /** One of the bus's own casts (no arguments) to every live node, now (not after a commit); failures ignored. */
  private async castToAllNow(op: string): Promise<void> {
    const raw = JSON.stringify({ t: 'cast', from: this.nodeId, op, args: null } satisfies BusMessage);
    await Promise.all(this.liveNodes().map((node) => this.append(node, raw).catch(() => undefined)));
  }

  /** Appends one message to a node's inbox stream. */
  private append(node: string, raw: string): Promise<unknown> {
    return this.redis.xadd(KEY.inbox(node), 'MAXLEN', '~', String(INBOX_MAX), '*', 'm', raw);
  }

  private post(node: string, message: BusMessage): void {
    // What other nodes are told of a step leaves after the step's rows are committed (signaling/turn.ts), in order.
    if (commitPending()) {
      afterCommit(() => this.postNow(node, message));
      return;
    }
    this.postNow(node, message);
  }

  private postNow(node: string, message: BusMessage): void {
    this.append(node, JSON.stringify(message)).catch((error: unknown) => {
      this.logger.warn({ node, err: error instanceof Error ? error.message : String(error) }, 'could not reach another node');
    });
  }

  private async renew(): Promise<void> {
    await this.redis.multi().set(KEY.alive(this.nodeId), String(Date.now()), 'PX', LIVENESS_MS).sadd(KEY.nodes, this.nodeId).exec();
  }

  /** Finds nodes that stopped renewing their key. */
  private async look(): Promise<void> {
    const nodes = (await this.redis.smembers(KEY.nodes)).filter((node) => node !== this.nodeId);
    // A node that stopped cleanly took itself out of the set: it is gone, with nothing to reap (a call to it
    // would wait CALL_TIMEOUT_MS for an inbox nobody reads; every console's session.list did).
    for (const node of this.known) {
      if (nodes.includes(node)) continue;
      this.known.delete(node);
      this.gone.add(node);
    }
    if (nodes.length === 0) return;
    const present = await Promise.all(nodes.map((node) => this.redis.exists(KEY.alive(node))));
    const died: string[] = [];
    nodes.forEach((node, index) => {
      if (present[index] === 1) {
        this.known.add(node);
        return;
      }
      if (!this.gone.has(node)) {
        this.gone.add(node);
        died.push(node);
      }
    });
    if (died.length > 0) this.handlers?.dead(died);
  }

  private async read(): Promise<void> {
    const key = KEY.inbox(this.nodeId);
    while (!this.stopped) {
      let batch: [string, [string, string[]][]][] | null;
      try {
        batch = await this.reader.redis.xread('COUNT', 200, 'BLOCK', 1000, 'STREAMS', key, this.lastId);
      } catch (error) {
        if (this.stopped) return;
        this.logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'inbox read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      for (const [, entries] of batch ?? []) {
        for (const [id, fields] of entries) {
          this.lastId = id;
          const raw = fields[1];
          if (raw !== undefined) this.receive(raw);
        }
      }
    }
  }

  private receive(raw: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(raw) as BusMessage;
    } catch {
      this.logger.warn('a node message that is not JSON was dropped');
      return;
    }
    const handlers = this.handlers;
    if (!handlers) return;
    if (message.t === 'reply') {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      clearTimeout(waiting.timer);
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(new RescueError(message.code, message.message));
      return;
    }
    // A node heard from is live: one that started after this node's last look is in its broadcasts from now on.
    if (!this.gone.has(message.from) && message.from !== this.nodeId) this.known.add(message.from);
    if (message.t === 'cast') {
      if (message.op === JOINED_OP) return;
      if (message.op === LEFT_OP) {
        // It stopped cleanly: calls to it from now on fail at once instead of waiting CALL_TIMEOUT_MS.
        this.known.delete(message.from);
        this.gone.add(message.from);
        return;
      }
      try {
        handlers.cast(message.op, message.args, message.from);
      } catch (error) {
        this.logger.warn({ op: message.op, err: error instanceof Error ? error.message : String(error) }, 'a node message failed');
      }
      return;
    }
    const { id, from } = message;
    Promise.resolve()
      .then(() => handlers.call(message.op, message.args, from))
      .then(
        (value: unknown) => this.post(from, { t: 'reply', id, ok: true, value: value ?? null }),
        (error: unknown) => {
          if (!(error instanceof RescueError)) this.logger.error({ op: message.op, err: error instanceof Error ? error.stack : String(error) }, 'a call from another node failed');
          const rescue = error instanceof RescueError ? error : new RescueError('INTERNAL');
          this.post(from, { t: 'reply', id, ok: false, code: rescue.code, message: rescue.message });
        },
      );
  }
}
