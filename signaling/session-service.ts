import { RescueError, type ClientKind, type IceConfig, type ReportableAuditEvent, type SessionState, type SessionSummary, type SignalData, type TechnicianRef } from '../protocol/index.ts';
import type { HandoverOp, SessionHandover } from './session-handover.ts';
import type { Connection, Party, Session, TechnicianIdentity } from './session.ts';
import type { SessionRegistry } from './session-registry.ts';

/** Who acts on a session through the service: a technician, or the customer holding a session's token. */
export type ServiceParty = { role: 'technician'; technician: TechnicianIdentity } | { role: 'customer'; token: string };

/** What a customer's socket knows of the session its code or token bound it to (it may live on another node). */
export interface JoinedSession {
  id: string;
  token: string;
  technician: { name: string; email: string };
  state: SessionState;
}

/**
 * The PIN sessions as the sockets and routes use them. One node alone:
 * LocalSessions over the in-memory SessionRegistry. Several nodes on Redis:
 * signaling/cluster/cluster-sessions.ts, which runs each session on the node
 * that created it and forwards the other nodes' calls to it. Errors are
 * RescueErrors (rejected promises), as the registry throws them.
 */
export interface SessionService {
  attachTechnician(technician: TechnicianIdentity, conn: Connection): Promise<void>;
  detachTechnician(technicianId: string, conn: Connection): void;
  create(technician: TechnicianIdentity, forceRelay: boolean | undefined): Promise<SessionSummary>;
  list(technicianId: string): Promise<SessionSummary[]>;
  /** The lead's `session.activated` is the reply: it carries `ref` (no separate ack). */
  activate(technician: TechnicianIdentity, sessionId: string, ref?: string): Promise<void>;
  end(party: ServiceParty, sessionId: string): Promise<void>;
  /**
   * `lane: 'colleague'`: between the lead's console and an invited colleague's (protocol/signaling.ts).
   * Synchronous on one node (10 of a pair's 13 messages are relays: no promise each), a promise across nodes.
   */
  relay(party: ServiceParty, sessionId: string, data: SignalData, lane?: 'colleague'): void | Promise<void>;
  report(party: ServiceParty, sessionId: string, event: ReportableAuditEvent, detail: string): Promise<void>;
  iceFor(party: ServiceParty, sessionId: string): Promise<IceConfig>;
  /** The other technicians whose console is online (on any node): transfer and invite targets. */
  online(me: TechnicianIdentity): Promise<TechnicianRef[]>;
  /** Transfer and collaboration (signaling/session-handover.ts), run where the session lives. */
  handover(party: ServiceParty, sessionId: string, op: HandoverOp): Promise<void>;
  /** See SessionRegistry.submitCode; `stillWanted` is asked after a global-cap wait. */
  submitCode(code: string, client: ClientKind, address: string, conn: Connection | null, name?: string, stillWanted?: () => boolean): Promise<JoinedSession>;
  resumeCustomer(token: string, conn: Connection, client?: ClientKind, name?: string): Promise<JoinedSession>;
  detachCustomer(token: string, conn: Connection): void;
  /** Closes this node's sessions (server shutdown) and leaves the cluster. */
  shutdown(): Promise<void>;
}

export function joinedView(session: Session, token: string): JoinedSession {
  return { id: session.id, token, technician: { name: session.technician.name, email: session.technician.email }, state: session.lifecycle.state };
}

/** The registry's party for a service party (a customer is known by its token); SESSION_NOT_FOUND for a dead token. */
export function registryParty(registry: SessionRegistry, party: ServiceParty): Party {
  if (party.role === 'technician') return party;
  const session = registry.sessionOfToken(party.token);
  if (!session) throw new RescueError('SESSION_NOT_FOUND');
  return { role: 'customer', session };
}

/**
 * One node alone: the calls run synchronously on the registry (an async
 * method's body runs at once up to its first await, and these have none), so
 * the order of messages from one socket is the order they are handled in.
 */
export class LocalSessions implements SessionService {
  constructor(
    private readonly registry: SessionRegistry,
    private readonly handovers: SessionHandover,
    /** The seat limit from the store; null = unlimited. */
    private readonly seats: () => Promise<number | null>,
  ) {}

  async attachTechnician(technician: TechnicianIdentity, conn: Connection): Promise<void> {
    // The one await before the registry: the seat limit is read from the store.
    this.registry.attachTechnician(technician, conn, await this.seats());
  }

  detachTechnician(technicianId: string, conn: Connection): void {
    this.registry.detachTechnician(technicianId, conn);
  }

  async create(technician: TechnicianIdentity, forceRelay: boolean | undefined): Promise<SessionSummary> {
    return this.registry.create(technician, forceRelay);
  }

  async list(technicianId: string): Promise<SessionSummary[]> {
    return this.registry.list(technicianId);
  }

  async activate(technician: TechnicianIdentity, sessionId: string, ref?: string): Promise<void> {
    this.registry.activate(technician, sessionId, ref);
  }

  async end(party: ServiceParty, sessionId: string): Promise<void> {
    this.registry.end(registryParty(this.registry, party), sessionId);
  }

  relay(party: ServiceParty, sessionId: string, data: SignalData, lane?: 'colleague'): void {
    this.registry.relay(registryParty(this.registry, party), sessionId, data, lane);
  }

  async report(party: ServiceParty, sessionId: string, event: ReportableAuditEvent, detail: string): Promise<void> {
    this.registry.report(registryParty(this.registry, party), sessionId, event, detail);
  }

  async iceFor(party: ServiceParty, sessionId: string): Promise<IceConfig> {
    return this.registry.iceFor(registryParty(this.registry, party), sessionId);
  }

  async online(me: TechnicianIdentity): Promise<TechnicianRef[]> {
    return this.handovers.online(me);
  }

  async handover(party: ServiceParty, sessionId: string, op: HandoverOp): Promise<void> {
    this.handovers.run(registryParty(this.registry, party), sessionId, op);
  }

  async submitCode(code: string, client: ClientKind, address: string, conn: Connection | null, name?: string, stillWanted?: () => boolean): Promise<JoinedSession> {
    const { session, token } = await this.registry.submitCode(code, client, address, conn, name, stillWanted);
    return joinedView(session, token);
  }

  async resumeCustomer(token: string, conn: Connection, client?: ClientKind, name?: string): Promise<JoinedSession> {
    return joinedView(this.registry.resumeCustomer(token, conn, client, name), token);
  }

  detachCustomer(token: string, conn: Connection): void {
    const session = this.registry.sessionOfToken(token);
    if (session) this.registry.detachCustomer(session, conn);
  }

  async shutdown(): Promise<void> {
    this.registry.shutdown();
  }
}
