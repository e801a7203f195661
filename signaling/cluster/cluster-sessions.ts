import { CLOSE_CODES, RescueError, type ClientKind, type IceConfig, type ReportableAuditEvent, type SessionSummary, type SignalData, type TechnicianRef } from '../../protocol/index.ts';
import type { AuditLog } from '../audit-log.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { randomPinCode } from '../pin-codes.ts';
import type { Connection, TechnicianIdentity } from '../session.ts';
import { refOf, type HandoverOp, type SessionHandover } from '../session-handover.ts';
import type { RegistryHooks, SessionRegistry } from '../session-registry.ts';
import { joinedView, registryParty, type JoinedSession, type ServiceParty, type SessionService } from '../session-service.ts';
import { ConnectionTable } from './connections.ts';
import { ClusterLimits } from './cluster-limits.ts';
import { NodeBus, type BusHandlers } from './node-bus.ts';
import { SharedState } from './shared-state.ts';

export interface ClusterOptions {
  config: Readonly<Config>;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  seats: () => Promise<number | null>;
  url: string;
}

/**
 * What a feature beside the PIN sessions (ad hoc support) uses of the
 * cluster: the node's id, Redis, the bus, and its own ops (named with its
 * prefix, `adhoc.*`) routed to it.
 */
export interface ClusterPort {
  readonly nodeId: string;
  readonly redis: NodeBus['redis'];
  call(node: string, op: string, args: unknown): Promise<unknown>;
  cast(node: string, op: string, args: unknown): void;
  /** The other nodes believed alive. */
  liveNodes(): string[];
  isAlive(node: string): boolean;
  /** Routes the bus's calls and messages whose op starts with `prefix`, and dead nodes, to `handlers`. */
  extend(prefix: string, handlers: BusHandlers): void;
}

/** A running node of the cluster: hooks for its registry, then the service over it (server.ts). */
export interface Cluster {
  port: ClusterPort;
  hooks: RegistryHooks;
  /** The registry's code generator: the code this node claimed in Redis just before. */
  generateCode: () => string;
  limits: ClusterLimits;
  serve(registry: SessionRegistry, handover: SessionHandover, generateCode?: () => string): SessionService;
  problem(): string | null;
}

/** Joins the cluster on REDIS_URL (fails the start with the reason when Redis cannot be reached). */
export async function joinCluster(options: ClusterOptions): Promise<Cluster> {
  const bus = new NodeBus(options.url, options.logger);
  const service = new ClusterSessions(bus, options);
  await bus.start(service);
  options.logger.info({ node: bus.nodeId }, 'joined the cluster on Redis');
  return {
    hooks: service.hooks,
    generateCode: () => service.claimedCode(),
    limits: service.limits,
    serve: (registry, handover, generateCode) => service.bind(registry, handover, generateCode ?? randomPinCode),
    problem: () => bus.problem(),
    port: {
      nodeId: bus.nodeId,
      redis: bus.redis,
      call: (node, op, args) => bus.call(node, op, args),
      cast: (node, op, args) => bus.cast(node, op, args),
      liveNodes: () => bus.liveNodes(),
      isAlive: (node) => bus.isAlive(node),
      extend: (prefix, handlers) => service.extensions.set(prefix, handlers),
    },
  };
}

type Home = { sessionId: string; node: string };

/**
 * The sessions of a cluster of nodes. A session lives, with its state
 * machine and timers, on the node whose technician created it (its home);
 * Redis holds what every node must find: codes (claimed atomically), tokens
 * and homes. A call for a session at home elsewhere goes to that node over
 * its inbox (signaling/cluster/node-bus.ts) and the home reaches a socket on
 * another node through a remote Connection, so a technician and a customer on
 * different nodes are paired and their messages keep their order. docs/scale.md.
 */
export class ClusterSessions implements SessionService {
  private registry!: SessionRegistry;
  private handovers!: SessionHandover;
  private generate: () => string = randomPinCode;
  private readonly state: SharedState;
  private readonly conns: ConnectionTable;
  /** Customers on this node whose session is at home on another node, by token. */
  private readonly away = new Map<string, Home & { conn: Connection; lost: NodeJS.Timeout | null }>();
  private nextCode: string | null = null;
  /** This node's technician sockets (by the id other nodes know them by), told to the others on shutdown. */
  private readonly technicians = new Map<string, string>();
  readonly limits: ClusterLimits;
  /** Other features' handlers, by op prefix (ClusterPort.extend). */
  readonly extensions = new Map<string, BusHandlers>();

  constructor(
    private readonly bus: NodeBus,
    private readonly options: ClusterOptions,
  ) {
    this.state = new SharedState(bus.redis, bus.nodeId, options.config.codeTtlSeconds * 1000);
    this.conns = new ConnectionTable(bus);
    this.limits = new ClusterLimits(bus.redis, options.config, () => options.clock.now());
  }

  bind(registry: SessionRegistry, handover: SessionHandover, generateCode: () => string): SessionService {
    this.registry = registry;
    this.handovers = handover;
    this.generate = generateCode;
    return this;
  }

  claimedCode(): string {
    const code = this.nextCode;
    if (code === null) throw new RescueError('INTERNAL', 'No code was claimed for this session.');
    return code;
  }

  readonly hooks: RegistryHooks = {
    codeRetired: (code, why) => this.state.retireCode(code, why),
    tokenIssued: (token, session) => this.state.issueToken(token, session.id),
    closed: (session) => this.state.forget(session.id, session.tokenDigest),
    pushList: (technicianId) => this.pushList(technicianId),
  };

  // Technicians.

  async attachTechnician(technician: TechnicianIdentity, conn: Connection): Promise<void> {
    const id = this.conns.local(conn);
    if (!(await this.state.takeSeat(technician.id, id, (await this.options.seats())))) throw new RescueError('NO_SEAT_FREE');
    this.registry.attachTechnician(technician, conn);
    this.technicians.set(id, technician.id);
    for (const node of this.bus.liveNodes()) this.bus.cast(node, 'tech.attached', { technician, conn: id });
  }

  detachTechnician(technicianId: string, conn: Connection): void {
    this.registry.detachTechnician(technicianId, conn);
    const id = this.conns.drop(conn);
    if (id === null) return;
    this.technicians.delete(id);
    this.state.freeSeat(technicianId, id);
    for (const node of this.bus.liveNodes()) this.bus.cast(node, 'tech.detached', { technicianId, conn: id });
  }

  async create(technician: TechnicianIdentity, forceRelay: boolean | undefined): Promise<SessionSummary> {
    this.nextCode = await this.state.claimCode(this.generate);
    try {
      const summary = this.registry.create(technician, forceRelay);
      await this.state.placeSession(summary.sessionId, this.nextCode, technician.id);
      return summary;
    } catch (error) {
      this.state.releaseClaim(this.nextCode);
      throw error;
    } finally {
      this.nextCode = null;
    }
  }

  async list(technicianId: string): Promise<SessionSummary[]> {
    const lists = await Promise.all([
      Promise.resolve(this.registry.list(technicianId)),
      ...this.bus.liveNodes().map((node) => (this.bus.call(node, 'list', { technicianId }) as Promise<SessionSummary[]>).catch(() => [])),
    ]);
    return lists
      .flat()
      .sort((a, b) => a.createdAt - b.createdAt)
      .slice(0, 200);
  }

  async activate(technician: TechnicianIdentity, sessionId: string, ref?: string): Promise<void> {
    const node = await this.homeOfSession(sessionId);
    if (node === this.bus.nodeId) this.registry.activate(technician, sessionId, ref);
    else await this.bus.call(node, 'activate', { technician, sessionId, ref });
  }

  async end(party: ServiceParty, sessionId: string): Promise<void> {
    await this.onHome(party, sessionId, 'end', () => this.registry.end(registryParty(this.registry, party), sessionId), {});
  }

  async relay(party: ServiceParty, sessionId: string, data: SignalData, lane?: 'colleague'): Promise<void> {
    await this.onHome(party, sessionId, 'relay', () => this.registry.relay(registryParty(this.registry, party), sessionId, data, lane), { data, lane });
  }

  async report(party: ServiceParty, sessionId: string, event: ReportableAuditEvent, detail: string): Promise<void> {
    await this.onHome(party, sessionId, 'report', () => this.registry.report(registryParty(this.registry, party), sessionId, event, detail), { event, detail });
  }

  async iceFor(party: ServiceParty, sessionId: string): Promise<IceConfig> {
    return (await this.onHome(party, sessionId, 'iceFor', () => this.registry.iceFor(registryParty(this.registry, party), sessionId), {})) as IceConfig;
  }

  // Transfer and collaboration (docs/scale.md, "Transfer and collaboration across nodes").

  async online(me: TechnicianIdentity): Promise<TechnicianRef[]> {
    const lists = await Promise.all([
      Promise.resolve(this.localTechnicians()),
      ...(await this.bus.currentNodes()).map((node) => (this.bus.call(node, 'online', {}) as Promise<{ technician: TechnicianIdentity }[]>).catch(() => [])),
    ]);
    const byId = new Map<string, TechnicianRef>();
    for (const { technician } of lists.flat()) if (technician.id !== me.id) byId.set(technician.id, refOf(technician));
    return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name)).slice(0, 200);
  }

  async handover(party: ServiceParty, sessionId: string, op: HandoverOp): Promise<void> {
    await this.onHome(party, sessionId, 'handover', () => this.handoverHere(party, sessionId, op), { op });
  }

  /** On the session's home: makes sure it can reach the technician the lead names, then runs the step. */
  private async handoverHere(party: ServiceParty, sessionId: string, op: HandoverOp): Promise<void> {
    if ((op.kind === 'transfer' || op.kind === 'invite') && !this.registry.connectionOf(op.technicianId)) await this.reach(op.technicianId);
    this.handovers.run(registryParty(this.registry, party), sessionId, op);
  }

  /**
   * A technician whose console is on another node becomes reachable from this
   * node's registry (a remote connection to their socket), as the lead's does
   * when they create a session here; unknown anywhere, the step then answers
   * TECHNICIAN_NOT_ONLINE.
   */
  private async reach(technicianId: string): Promise<void> {
    for (const node of await this.bus.currentNodes()) {
      const found = (await this.bus.call(node, 'online', { technicianId }).catch(() => [])) as { technician: TechnicianIdentity; conn: string }[];
      const hit = found.find((f) => f.technician.id === technicianId);
      if (!hit) continue;
      if (!this.registry.connectionOf(technicianId)) this.registry.attachTechnician(hit.technician, this.conns.remote({ node, id: hit.conn }));
      return;
    }
  }

  /** The technicians whose console socket is on this node, with the id other nodes reach the socket by. */
  private localTechnicians(technicianId?: string): { technician: TechnicianIdentity; conn: string }[] {
    const out: { technician: TechnicianIdentity; conn: string }[] = [];
    for (const technician of this.registry.onlineTechnicians()) {
      if (technicianId !== undefined && technician.id !== technicianId) continue;
      const conn = this.registry.connectionOf(technician.id);
      if (conn && this.conns.refOf(conn) === null) out.push({ technician, conn: this.conns.local(conn) });
    }
    return out;
  }

  // Customers.

  async submitCode(code: string, client: ClientKind, address: string, conn: Connection | null, name?: string, stillWanted?: () => boolean): Promise<JoinedSession> {
    // The counts over all nodes first (Redis). The node's own guard is asked only once the code is looked up, in
    // the same turn as the answer: a try held open across the Redis round trips counted as a possible failure, so
    // customers behind one address entering right codes at once were refused with CODE_SLOW_DOWN.
    const across = await this.limits.beginCode(address);
    if (across.delayMs > 0) await this.pause(across.delayMs);
    if (stillWanted && !stillWanted()) {
      across.released();
      throw new RescueError('SESSION_CLOSED', 'The connection closed before the code was checked.');
    }
    let found;
    try {
      found = await this.state.lookupCode(code);
    } catch (error) {
      across.released();
      throw error;
    }
    let local;
    try {
      local = this.registry.guard.begin(address);
    } catch (error) {
      across.released();
      throw error;
    }
    const outcome = 'error' in found ? 'failed' : 'released';
    if (local.delayMs > 0) {
      // The node's global spacing: the answer waits, as on a single node.
      await this.pause(local.delayMs);
    }
    local[outcome]();
    across[outcome]();
    if ('error' in found) throw new RescueError(found.error);
    return this.enter(found, code, client, address, conn, name);
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => this.options.clock.setTimeout(() => resolve(), ms));
  }

  async resumeCustomer(token: string, conn: Connection, client?: ClientKind, name?: string): Promise<JoinedSession> {
    if (this.registry.sessionOfToken(token)) return joinedView(this.registry.resumeCustomer(token, conn, client, name), token);
    const home = await this.state.homeOfToken(token);
    if (!home || home.node === this.bus.nodeId || !this.bus.isAlive(home.node)) throw new RescueError('TOKEN_INVALID');
    const joined = (await this.bus.call(home.node, 'resume', { token, conn: this.conns.local(conn), client, name })) as JoinedSession;
    this.away.set(token, { ...home, conn, lost: null });
    return joined;
  }

  detachCustomer(token: string, conn: Connection): void {
    const away = this.away.get(token);
    if (away && away.conn === conn) {
      this.away.delete(token);
      if (away.lost) clearTimeout(away.lost);
      const id = this.conns.drop(conn);
      if (id !== null && this.bus.isAlive(away.node)) this.bus.cast(away.node, 'customer.detached', { token, conn: id });
      return;
    }
    const session = this.registry.sessionOfToken(token);
    if (session) this.registry.detachCustomer(session, conn);
  }

  async shutdown(): Promise<void> {
    this.registry.shutdown();
    // The sockets close after the bus has stopped: tell the sessions' homes now that they are going.
    for (const [token, away] of this.away) {
      if (away.lost) clearTimeout(away.lost);
      const id = this.conns.drop(away.conn);
      if (id !== null && this.bus.isAlive(away.node)) this.bus.cast(away.node, 'customer.detached', { token, conn: id });
    }
    this.away.clear();
    for (const [id, technicianId] of this.technicians) for (const node of this.bus.liveNodes()) this.bus.cast(node, 'tech.detached', { technicianId, conn: id });
    this.technicians.clear();
    await this.state.leave();
    await this.bus.stop();
  }

  // Calls and messages from other nodes (BusHandlers).

  call(op: string, args: unknown, from: string): unknown {
    const extension = this.extensionOf(op);
    if (extension) return extension.call(op, args, from);
    const a = args as Record<string, unknown>;
    const party = (): ServiceParty => a.party as ServiceParty;
    const sessionId = a.sessionId as string;
    switch (op) {
      case 'list':
        return this.registry.list(a.technicianId as string);
      case 'activate':
        return this.registry.activate(a.technician as TechnicianIdentity, sessionId, typeof a.ref === 'string' ? a.ref : undefined);
      case 'end':
        return this.registry.end(registryParty(this.registry, party()), sessionId);
      case 'relay':
        return this.registry.relay(registryParty(this.registry, party()), sessionId, a.data as SignalData, a.lane === 'colleague' ? 'colleague' : undefined);
      case 'report':
        return this.registry.report(registryParty(this.registry, party()), sessionId, a.event as ReportableAuditEvent, a.detail as string);
      case 'iceFor':
        return this.registry.iceFor(registryParty(this.registry, party()), sessionId);
      case 'online':
        return this.localTechnicians(typeof a.technicianId === 'string' ? a.technicianId : undefined);
      case 'handover':
        return this.handoverHere(party(), sessionId, a.op as HandoverOp);
      case 'enter': {
        const conn = a.conn === null ? null : this.conns.remote({ node: from, id: a.conn as string });
        const { session, token } = this.registry.enterCode(a.code as string, a.client as ClientKind, a.address as string, conn, a.name as string | undefined);
        return joinedView(session, token);
      }
      case 'resume': {
        const conn = this.conns.remote({ node: from, id: a.conn as string });
        return joinedView(this.registry.resumeCustomer(a.token as string, conn, a.client as ClientKind | undefined, a.name as string | undefined), a.token as string);
      }
      default:
        throw new RescueError('INTERNAL', `Unknown node call ${op}.`);
    }
  }

  cast(op: string, args: unknown, from: string): void {
    const extension = this.extensionOf(op);
    if (extension) return extension.cast(op, args, from);
    const a = args as Record<string, unknown>;
    switch (op) {
      case 'deliver':
      case 'close':
        this.conns.arrived(op, a);
        return;
      case 'tech.attached': {
        const technician = a.technician as TechnicianIdentity;
        if (!this.registry.technicianConnection(technician.id) && !this.registry.hasSessionsOf(technician.id)) return;
        this.registry.attachTechnician(technician, this.conns.remote({ node: from, id: a.conn as string }));
        return;
      }
      case 'tech.detached': {
        const ref = { node: from, id: a.conn as string };
        const conn = this.conns.known(ref);
        if (conn) this.registry.detachTechnician(a.technicianId as string, conn);
        this.conns.forget(ref);
        return;
      }
      case 'customer.detached': {
        const ref = { node: from, id: a.conn as string };
        const conn = this.conns.known(ref);
        const session = this.registry.sessionOfToken(a.token as string);
        if (conn && session) this.registry.detachCustomer(session, conn);
        this.conns.forget(ref);
        return;
      }
      case 'pushList':
        this.pushList(a.technicianId as string);
        return;
      default:
        this.options.logger.warn({ op }, 'unknown node message');
    }
  }

  /** Nodes that stopped renewing their liveness key: their sockets here and there are lost (docs/scale.md). */
  dead(nodes: string[]): void {
    for (const extension of this.extensions.values()) extension.dead(nodes);
    const grace = this.options.config.reconnectGraceSeconds * 1000;
    for (const node of nodes) {
      this.options.logger.warn({ node }, 'a node of the cluster stopped answering; its sessions end after the grace period');
      for (const session of this.registry.all()) {
        const tech = this.registry.technicianConnection(session.technician.id);
        if (tech && this.conns.isOn(tech, node)) this.registry.detachTechnician(session.technician.id, tech);
        if (session.customerConn && this.conns.isOn(session.customerConn, node)) this.registry.detachCustomer(session, session.customerConn);
      }
      for (const [token, away] of this.away) {
        if (away.node !== node || away.lost) continue;
        away.conn.send({ type: 'session.state', sessionId: away.sessionId, state: 'suspended', reason: 'technician_lost' });
        away.lost = setTimeout(() => {
          this.away.delete(token);
          this.conns.drop(away.conn);
          away.conn.send({ type: 'session.state', sessionId: away.sessionId, state: 'closed', reason: 'technician_lost' });
          away.conn.close(CLOSE_CODES.SESSION_ENDED, 'session ended');
          void this.endOnce(away.sessionId);
        }, grace);
      }
      void this.state.reapNode(node, grace, (sessionId) => this.endOnce(sessionId));
    }
  }

  // Internals.

  private extensionOf(op: string): BusHandlers | undefined {
    const dot = op.indexOf('.');
    return dot > 0 ? this.extensions.get(op.slice(0, dot)) : undefined;
  }

  /** Writes a dead node's session's end into the audit trail, once across the cluster. */
  private async endOnce(sessionId: string): Promise<void> {
    if (!(await this.state.claimEnd(sessionId))) return;
    this.options.audit.record(sessionId, 'session.ended', { kind: 'server' }, 'technician_lost');
    this.options.audit.closeSession(sessionId, 'technician_lost');
  }

  private async enter(found: { node: string }, code: string, client: ClientKind, address: string, conn: Connection | null, name?: string): Promise<JoinedSession> {
    if (found.node === this.bus.nodeId) return joinedView(...this.entered(this.registry.enterCode(code, client, address, conn, name)));
    if (!this.bus.isAlive(found.node)) throw new RescueError('CODE_INVALID');
    const joined = (await this.bus.call(found.node, 'enter', { code, client, address, name, conn: conn ? this.conns.local(conn) : null })) as JoinedSession;
    if (conn) this.away.set(joined.token, { sessionId: joined.id, node: found.node, conn, lost: null });
    return joined;
  }

  private entered(result: ReturnType<SessionRegistry['enterCode']>): [typeof result.session, string] {
    return [result.session, result.token];
  }

  private async homeOfSession(sessionId: string): Promise<string> {
    if (this.registry.get(sessionId)) return this.bus.nodeId;
    const node = await this.state.homeOfSession(sessionId);
    if (node === null || !this.bus.isAlive(node)) throw new RescueError('SESSION_NOT_FOUND');
    return node;
  }

  /** Runs `here` when the session is at home on this node, or calls its home with `args`. */
  private async onHome(party: ServiceParty, sessionId: string, op: string, here: () => unknown, args: Record<string, unknown>): Promise<unknown> {
    let node: string;
    if (party.role === 'customer') {
      const away = this.away.get(party.token);
      node = away ? away.node : this.bus.nodeId;
    } else {
      node = await this.homeOfSession(sessionId);
    }
    if (node === this.bus.nodeId) return here();
    return this.bus.call(node, op, { ...args, party, sessionId });
  }

  /** Sends a technician the queue over all nodes, from the node their socket is on. */
  private pushList(technicianId: string): void {
    const conn = this.registry.technicianConnection(technicianId);
    if (!conn) return;
    const remote = this.conns.refOf(conn);
    if (remote) {
      this.bus.cast(remote.node, 'pushList', { technicianId });
      return;
    }
    this.list(technicianId).then(
      (sessions) => conn.send({ type: 'session.list', sessions }),
      () => undefined,
    );
  }
}

