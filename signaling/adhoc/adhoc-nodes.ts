import type { AdhocServerMessage } from '../../protocol/adhoc.ts';
import type { ClusterPort } from '../cluster/cluster-sessions.ts';
import { LIVENESS_MS } from '../cluster/node-bus.ts';
import { ReplyGate } from '../store/reply-gate.ts';
import { ADDRESS_WINDOW_MS, CODE_FAILURES_GLOBAL_PER_MINUTE, CODE_FAILURES_PER_ADDRESS, refusedTry, type CodeLimiter, type CodeTry } from './security-code.ts';

/** One end of a socket, as the service sees it (a socket here, or one on another node). */
export interface Peer {
  send(msg: AdhocServerMessage): void;
}

const KEY = {
  agent: (adhocId: string) => `rr:adhoc:agent:${adhocId}`,
  failures: (address: string) => `rr:adhoc:codefail:${address}`,
  global: (minute: number) => `rr:adhoc:codefail-all:${minute}`,
  pending: (address: string) => `rr:adhoc:codetry:${address}`,
  globalPending: 'rr:adhoc:codetry-all',
};

/** How long an agent's presence key lives without renewal: a node that dies stops renewing, and its agents are offline after this. */
export const AGENT_KEY_MS = 3 * LIVENESS_MS;

/** Deletes the presence key only if this node still holds it (the agent may have moved to another node since). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** A technician's socket on another node: what is sent to it goes over that node's inbox, in order, after this node's audit rows. */
class RemotePeer implements Peer {
  private readonly gate: ReplyGate<AdhocServerMessage>;

  constructor(
    readonly node: string,
    readonly id: string,
    port: ClusterPort,
  ) {
    this.gate = new ReplyGate((message) => port.cast(node, 'adhoc.deliver', { peer: id, message }));
  }

  send(msg: AdhocServerMessage): void {
    this.gate.send(msg);
  }
}

/**
 * Ad hoc support across the nodes of a cluster (REDIS_URL; docs/scale.md).
 * An agent's connections live on the node that holds its socket; a Redis key
 * with expiry (`rr:adhoc:agent:<id>`, renewed every second) names that node.
 * A technician on another node opens a connection with a call to it and its
 * signals follow as messages on the bus, in order; what the agent's node
 * sends the technician comes back the same way (RemotePeer). Every node
 * hears of every change (`adhoc.changed`, `adhoc.finished`) to refresh its
 * consoles and timers. Wrong security codes are counted in Redis, so the
 * per-address and global limits hold over all nodes.
 */
export class AdhocNodes {
  private readonly localIds = new WeakMap<Peer, string>();
  private readonly locals = new Map<string, Peer>();
  private readonly remotes = new Map<string, RemotePeer>();
  private readonly agents = new Set<string>();
  private sequence = 0;
  private readonly renewal: NodeJS.Timeout;

  constructor(readonly port: ClusterPort) {
    this.renewal = setInterval(() => this.renew(), LIVENESS_MS / 3);
    this.renewal.unref();
  }

  get nodeId(): string {
    return this.port.nodeId;
  }

  close(): void {
    clearInterval(this.renewal);
  }

  /** The id other nodes know a local socket by. */
  idOf(peer: Peer): string {
    let id = this.localIds.get(peer);
    if (id === undefined) {
      id = `a${++this.sequence}`;
      this.localIds.set(peer, id);
      this.locals.set(id, peer);
    }
    return id;
  }

  /** Forgets a closed local socket. */
  dropLocal(peer: Peer): void {
    const id = this.localIds.get(peer);
    if (id === undefined) return;
    this.localIds.delete(peer);
    this.locals.delete(id);
  }

  local(id: string): Peer | undefined {
    return this.locals.get(id);
  }

  /** The one object for a socket on another node (the service compares peers by identity). */
  remote(node: string, id: string): RemotePeer {
    const key = `${node}/${id}`;
    let peer = this.remotes.get(key);
    if (!peer) this.remotes.set(key, (peer = new RemotePeer(node, id, this.port)));
    return peer;
  }

  forgetRemote(node: string, id: string): void {
    this.remotes.delete(`${node}/${id}`);
  }

  /** The node of a remote peer, or null for a local one. */
  nodeOf(peer: Peer): string | null {
    return peer instanceof RemotePeer ? peer.node : null;
  }

  // Where agents are.

  agentHere(adhocId: string): void {
    this.agents.add(adhocId);
    void this.port.redis.set(KEY.agent(adhocId), this.nodeId, 'PX', AGENT_KEY_MS).catch(() => undefined);
  }

  agentLeft(adhocId: string): void {
    this.agents.delete(adhocId);
    void this.port.redis.eval(RELEASE, 1, KEY.agent(adhocId), this.nodeId).catch(() => undefined);
  }

  /** The live node that holds the agent's socket, or null. */
  async agentNode(adhocId: string): Promise<string | null> {
    if (this.agents.has(adhocId)) return this.nodeId;
    const node = await this.port.redis.get(KEY.agent(adhocId));
    return node !== null && this.port.isAlive(node) ? node : null;
  }

  /** Which of the sessions have their agent online on some node. */
  async online(adhocIds: readonly string[]): Promise<Set<string>> {
    const found = new Set(adhocIds.filter((id) => this.agents.has(id)));
    const ask = adhocIds.filter((id) => !found.has(id));
    if (ask.length === 0) return found;
    const nodes = await this.port.redis.mget(...ask.map(KEY.agent));
    ask.forEach((id, i) => {
      const node = nodes[i];
      if (node && this.port.isAlive(node)) found.add(id);
    });
    return found;
  }

  /** Tells every other live node (in order per node, after this node's audit rows). */
  broadcast(op: string, args: unknown): void {
    for (const node of this.port.liveNodes()) this.gated(node).send({ type: op, op, args });
  }

  cast(node: string, op: string, args: unknown): void {
    this.gated(node).send({ type: op, op, args });
  }

  call(node: string, op: string, args: unknown): Promise<unknown> {
    return this.port.call(node, op, args);
  }

  private readonly gates = new Map<string, ReplyGate<{ type: string; op: string; args: unknown }>>();

  private gated(node: string): ReplyGate<{ type: string; op: string; args: unknown }> {
    let gate = this.gates.get(node);
    if (!gate) this.gates.set(node, (gate = new ReplyGate((m) => this.port.cast(node, m.op, m.args))));
    return gate;
  }

  /** Renews the presence keys of this node's agents. */
  private renew(): void {
    if (this.agents.size === 0) return;
    const multi = this.port.redis.multi();
    for (const id of this.agents) multi.set(KEY.agent(id), this.nodeId, 'PX', AGENT_KEY_MS);
    void multi.exec().catch(() => undefined);
  }
}

/**
 * Reserves a code try unless the wrong codes plus the tries in flight reached a limit:
 * KEYS global failures (this minute), address failures, global pending, address pending;
 * ARGV global limit, address limit. 0 = reserved, 1 = busy, 2 = address locked.
 */
const RESERVE_CODE = `
if tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[1]) then return 1 end
if tonumber(redis.call('GET', KEYS[2]) or '0') + tonumber(redis.call('GET', KEYS[4]) or '0') >= tonumber(ARGV[2]) then return 2 end
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], 60000)
redis.call('INCR', KEYS[4])
redis.call('PEXPIRE', KEYS[4], 60000)
return 0`;

/** Settles a reserved try (same KEYS); ARGV[1] '1' counts it as a wrong code, ARGV[2] the address window (ms). */
const SETTLE_CODE = `
if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
if tonumber(redis.call('GET', KEYS[4]) or '0') > 0 then redis.call('DECR', KEYS[4]) end
if ARGV[1] == '1' then
  redis.call('INCR', KEYS[1])
  redis.call('PEXPIRE', KEYS[1], 120000)
  redis.call('INCR', KEYS[2])
  if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
end
return 1`;

/**
 * Wrong security codes counted in Redis (fixed windows, keys with expiry):
 * per address over ADDRESS_WINDOW_MS and from everyone per minute, the same
 * limits the one-node limiter keeps in memory. A try is reserved (pending)
 * before its code is checked, so guesses spread over nodes at once get no
 * more checks than guesses one after the other; a pending count left by a
 * node that died lapses after a minute.
 */
export class ClusterCodeLimiter implements CodeLimiter {
  constructor(private readonly port: ClusterPort) {}

  async reserve(address: string, now: number): Promise<CodeTry> {
    const keys = [KEY.global(Math.floor(now / 60_000)), KEY.failures(address), KEY.globalPending, KEY.pending(address)];
    const answer = Number(await this.port.redis.eval(RESERVE_CODE, 4, ...keys, String(CODE_FAILURES_GLOBAL_PER_MINUTE), String(CODE_FAILURES_PER_ADDRESS)));
    if (answer === 1) return refusedTry('busy');
    if (answer === 2) return refusedTry('address_locked');
    let settled = false;
    return {
      limit: 'ok',
      settle: async (failed) => {
        if (settled) return;
        settled = true;
        await this.port.redis.eval(SETTLE_CODE, 4, ...keys, failed ? '1' : '0', String(ADDRESS_WINDOW_MS));
      },
    };
  }
}
