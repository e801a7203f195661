import {
  CLOSE_CODES,
  RescueError,
  cleanDisplayName,
  type ClientKind,
  type IceConfig,
  type ReportableAuditEvent,
  type SessionReason,
  type SessionSummary,
  type SignalData,
} from '../protocol/index.ts';
import type { AuditActor, AuditLog } from './audit-log.ts';
import { delay, type Clock } from './clock.ts';
import { CodeGuard } from './code-guard.ts';
import type { Config } from './config.ts';
import { buildIceConfig } from './ice-config.ts';
import { tokenDigest, type LiveSessionRecord, type LiveSessions, type PendingCodeRecord } from './live-sessions.ts';
import { sessionLogger, type Logger } from './logger.ts';
import { PinCodeBook } from './pin-codes.ts';
import { randomId } from './random-id.ts';
import { summarize, type Connection, type Party, type Role, type Session, type TechnicianIdentity } from './session.ts';
import { SessionLifecycle } from './session-state.ts';

export interface RegistryDeps {
  config: Readonly<Config>;
  clock: Clock;
  audit: AuditLog;
  logger: Logger;
  /** Overrides the code generator (tests). */
  generateCode?: () => string;
  /** Where live sessions are kept across a restart (none for a `:memory:` database). */
  live?: LiveSessions | null;
  /** Told of changes other nodes must know of (signaling/cluster/); default none. */
  hooks?: RegistryHooks;
  /**
   * Runs one step's audit and live-session writes together (SQLite: a
   * savepoint in the turn's transaction, committed once at the end of the
   * event-loop turn, before the turn's replies leave: signaling/turn.ts).
   * Default: each write alone.
   */
  atomically?: (writes: () => void) => void;
}

/** What a node's registry announces so that shared state (Redis) can follow it. */
export interface RegistryHooks {
  codeRetired(code: string, why: 'used' | 'expired'): void;
  tokenIssued(token: string, session: Session): void;
  closed(session: Session): void;
  /** Replaces the push of a technician's queue (the queue spans nodes). */
  pushList?(technicianId: string): void;
}

/** At most this many not-restored tokens are remembered (64 bytes each). */
const MAX_NOT_RESTORED = 10_000;
const newId = randomId;
const other = (role: Role): Role => (role === 'technician' ? 'customer' : 'technician');

/**
 * All live PIN sessions and the technician sockets. Every operation checks
 * that the caller is a party of the session: a technician only reaches their
 * own sessions, a customer only the session its code or token bound it to;
 * anything else is SESSION_NOT_FOUND, so existence does not leak.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly byToken = new Map<string, Session>();
  /** Token digests of joined sessions the last run left that could not be restored (start-up): a customer coming back is told why. */
  private readonly notRestored = new Set<string>();
  /** Each technician's sessions in creation order, and whom each session is filed under (a transfer moves it: persist). */
  private readonly byTechnician = new Map<string, Set<Session>>();
  private readonly filedUnder = new Map<Session, string>();
  private readonly technicians = new Map<string, Connection>();
  private readonly online = new Map<string, TechnicianIdentity>();
  readonly codes: PinCodeBook;
  readonly guard: CodeGuard;

  constructor(private readonly deps: RegistryDeps) {
    const now = () => deps.clock.now();
    this.codes = new PinCodeBook(deps.config.codeTtlSeconds * 1000, now, deps.generateCode);
    this.guard = new CodeGuard(
      {
        slowdownAfter: deps.config.codeSlowdownAfter,
        lockoutAfter: deps.config.codeLockoutAfter,
        lockoutMs: deps.config.codeLockoutSeconds * 1000,
        globalFailuresPerMinute: deps.config.codeGlobalFailuresPerMinute,
      },
      now,
    );
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A live session by id, for tests and tools; null once closed. */
  get(sessionId: string): Session | null {
    return this.sessions.get(sessionId) ?? null;
  }

  // Technician sockets.

  /**
   * Binds the technician's socket (replacing an older one) and resumes sessions suspended by their drop.
   * `seats`: the seat limit (concurrent technician consoles) read by the caller; null = unlimited or checked already.
   */
  attachTechnician(technician: TechnicianIdentity, conn: Connection, seats: number | null = null): void {
    const previous = this.technicians.get(technician.id);
    if (!previous && seats !== null && this.technicians.size >= seats) throw new RescueError('NO_SEAT_FREE');
    this.technicians.set(technician.id, conn);
    this.online.set(technician.id, technician);
    previous?.close(CLOSE_CODES.REPLACED, 'replaced by a newer connection');
    for (const session of this.ownedBy(technician.id)) this.regained(session, 'technician');
  }

  detachTechnician(technicianId: string, conn: Connection): void {
    if (this.technicians.get(technicianId) !== conn) return;
    this.technicians.delete(technicianId);
    this.online.delete(technicianId);
    for (const session of this.ownedBy(technicianId)) {
      const state = session.lifecycle.state;
      if (state === 'active' || state === 'suspended') this.lostSide(session, 'technician');
    }
  }

  isTechnicianConnected(technicianId: string): boolean {
    return this.technicians.has(technicianId);
  }

  /** The technicians whose console is online, as their accounts name them. */
  onlineTechnicians(): TechnicianIdentity[] {
    return [...this.online.values()];
  }

  /** A technician's console socket, if online. */
  connectionOf(technicianId: string): Connection | null {
    return this.technicians.get(technicianId) ?? null;
  }

  // Session operations.

  create(technician: TechnicianIdentity, forceRelay: boolean | undefined): SessionSummary {
    const relay = forceRelay ?? this.deps.config.forceRelay;
    if (relay && this.deps.config.turnUrls.length === 0) throw new RescueError('INVALID_MESSAGE', 'forceRelay needs a TURN server, and none is configured.');
    const cap = this.deps.config.codesPerTechnician;
    const open = this.ownedBy(technician.id).filter((session) => session.lifecycle.state === 'pending').length;
    if (open >= cap) {
      throw new RescueError('TOO_MANY_OPEN_CODES', `You already have ${open} codes nobody has entered yet (at most ${cap}); end one or wait for it to expire.`);
    }
    const id = newId(16);
    const now = this.deps.clock.now();
    const session = this.newSession({ id, technician, createdAt: now, forceRelay: relay });
    const { log } = session;
    session.code = this.codes.issue(id);
    session.codeExpiresAt = now + this.deps.config.codeTtlSeconds * 1000;
    session.expiryTimer = this.deps.clock.setTimeout(() => this.close(session, 'code_expired'), this.deps.config.codeTtlSeconds * 1000);
    this.sessions.set(id, session);
    this.file(session);
    this.atomically(() => {
      this.deps.audit.openSession({ id, technicianId: technician.id, technicianEmail: technician.email, forceRelay: relay });
      this.deps.audit.record(id, 'session.created', this.actorOf({ role: 'technician', technician }), relay ? 'forceRelay' : '');
      this.deps.live?.save(session);
    });
    log.info({ technicianId: technician.id }, 'session created');
    return summarize(session);
  }

  list(technicianId: string): SessionSummary[] {
    return this.ownedBy(technicianId).slice(0, 200).map(summarize);
  }

  /**
   * A customer enters a code (`conn` is null over HTTP: the customer then
   * resumes over the WebSocket with the token, within the grace period). The
   * try is reserved before anything else; the global cap may hold it back
   * first, and `stillWanted` says after that wait whether the asker is still
   * there (a closed socket's try is dropped unchecked).
   */
  async submitCode(
    code: string,
    client: ClientKind,
    address: string,
    conn: Connection | null,
    name?: string,
    stillWanted: () => boolean = () => true,
  ): Promise<{ session: Session; token: string }> {
    const attempt = this.guard.begin(address);
    if (attempt.delayMs > 0) {
      await delay(this.deps.clock, attempt.delayMs);
      if (!stillWanted()) {
        attempt.released();
        throw new RescueError('SESSION_CLOSED', 'The connection closed before the code was checked.');
      }
    }
    try {
      const entered = this.enterCode(code, client, address, conn, name);
      attempt.released();
      return entered;
    } catch (error) {
      attempt.failed();
      throw error;
    }
  }

  /**
   * The code check itself, once its try was reserved (submitCode, or the node
   * that took the customer's socket: signaling/cluster/). Throws CODE_INVALID,
   * CODE_USED or CODE_EXPIRED.
   */
  enterCode(code: string, client: ClientKind, address: string, conn: Connection | null, name?: string): { session: Session; token: string } {
    const found = this.codes.lookup(code);
    const session = 'sessionId' in found ? this.sessions.get(found.sessionId) : undefined;
    if (!session || session.lifecycle.state !== 'pending') throw new RescueError('error' in found ? found.error : 'CODE_INVALID');
    this.codes.retire(code, 'used');
    this.deps.hooks?.codeRetired(code, 'used');
    this.deps.clock.clearTimeout(session.expiryTimer);
    // A cleared timer (and the closure it holds) would stay alive with the session: let it go.
    session.expiryTimer = null;
    const token = newId(32);
    session.code = null;
    session.codeExpiresAt = null;
    session.tokenDigest = tokenDigest(token);
    session.customer = { kind: client, address, joinedAt: this.deps.clock.now(), name: cleanDisplayName(name), code };
    this.byToken.set(session.tokenDigest, session);
    this.deps.hooks?.tokenIssued(token, session);
    session.lifecycle.transition('queued', 'code_entered');
    this.atomically(() => {
      this.deps.live?.save(session);
      this.deps.audit.customerJoined(session.id, client, address);
    });
    if (conn) session.customerConn = conn;
    else this.lostSide(session, 'customer');
    this.tellTechnician(session, 'code_entered', true);
    return { session, token };
  }

  /** A customer comes back with its token (new socket, or first socket after an HTTP code entry). */
  resumeCustomer(token: string, conn: Connection, client?: ClientKind, name?: string): Session {
    const session = this.byToken.get(tokenDigest(token));
    if (!session) {
      const digest = tokenDigest(token);
      throw new RescueError(this.notRestored.has(digest) ? 'SESSION_NOT_RESTORED' : 'TOKEN_INVALID');
    }
    const previous = session.customerConn;
    session.customerConn = conn;
    if (previous && previous !== conn) previous.close(CLOSE_CODES.REPLACED, 'replaced by a newer connection');
    this.regained(session, 'customer');
    this.updateCustomer(session, client, name);
    return session;
  }

  /** The support app took over from the page: the queue shows its kind, and its name if the page gave none. */
  private updateCustomer(session: Session, client: ClientKind | undefined, name: string | undefined): void {
    const customer = session.customer;
    if (!customer) return;
    const kind = client ?? customer.kind;
    const newName = customer.name ?? cleanDisplayName(name);
    if (kind === customer.kind && newName === customer.name) return;
    session.customer = { ...customer, kind, name: newName };
    if (session.lifecycle.state === 'queued') this.tellTechnician(session, session.lifecycle.reason, true);
  }

  /** Whether a customer token belongs to a live session (a download may carry it: signaling/download-routes.ts). */
  hasCustomerToken(token: string): boolean {
    return this.byToken.has(tokenDigest(token));
  }

  /** The live session a customer token belongs to, or null. */
  sessionOfToken(token: string): Session | null {
    return this.byToken.get(tokenDigest(token)) ?? null;
  }

  detachCustomer(session: Session, conn: Connection): void {
    if (session.customerConn !== conn) return;
    session.customerConn = null;
    if (session.lifecycle.state !== 'closed') this.lostSide(session, 'customer');
  }

  /** `ref`: the request's id, echoed on the lead's `session.activated` (its reply). */
  activate(technician: TechnicianIdentity, sessionId: string, ref?: string): void {
    const session = this.own({ role: 'technician', technician }, sessionId);
    if (session.lifecycle.state !== 'queued') throw new RescueError('SESSION_BAD_STATE', `The session is ${session.lifecycle.state}, not queued.`);
    if (!session.customerConn) throw new RescueError('PEER_NOT_CONNECTED', 'The customer is not connected right now.');
    session.lifecycle.transition('active', 'activated');
    this.atomically(() => {
      this.deps.live?.save(session);
      this.deps.audit.record(session.id, 'session.activated', this.actorOf({ role: 'technician', technician }));
    });
    this.sendActivated(session, ref);
    this.tellCustomer(session, 'activated');
  }

  /** Keeps a session's changed parties across a restart (a transfer). */
  persist(session: Session): void {
    this.refile(session);
    this.deps.live?.save(session);
  }

  /** Tells the lead and the customer to open their peer connection (activation, transfer); `ref` answers the lead's request. */
  sendActivated(session: Session, ref?: string): void {
    const sessionId = session.id;
    this.technicians.get(session.technician.id)?.send({
      type: 'session.activated',
      ...(ref === undefined ? {} : { ref }),
      sessionId,
      role: 'technician',
      polite: false,
      peerName: session.customer?.name ?? 'Customer',
      ice: this.ice(session, 'technician'),
    });
    session.customerConn?.send({
      type: 'session.activated',
      sessionId,
      role: 'customer',
      polite: true,
      peerName: session.technician.name,
      ice: this.ice(session, 'customer'),
    });
  }

  /** Ends the session (the lead or the customer); a joined colleague ending it only leaves. */
  end(party: Party, sessionId: string): void {
    const { session, colleague } = this.partOf(party, sessionId);
    if (colleague) {
      this.onColleagueLeft?.(session, party);
      return;
    }
    this.close(session, party.role === 'technician' ? 'technician_ended' : 'customer_ended', party);
  }

  /** Set by SessionHandover: a joined colleague's session.end is their leaving. */
  onColleagueLeft: ((session: Session, party: Party) => void) | null = null;

  /**
   * Relays an offer, answer or candidate of an active (or suspended) session:
   * between the customer and the lead, or (`lane: 'colleague'`) between the
   * lead and the joined colleague, whose console never reaches the customer.
   */
  relay(party: Party, sessionId: string, data: SignalData, lane?: 'colleague'): void {
    const { session, colleague } = this.partOf(party, sessionId);
    const state = session.lifecycle.state;
    if (state !== 'active' && state !== 'suspended') throw new RescueError('SESSION_BAD_STATE', `Signaling starts once the session is active; it is ${state}.`);
    if (colleague) {
      this.technicians.get(session.technician.id)?.send({ type: 'signal', sessionId, lane: 'colleague', data });
      return;
    }
    if (lane === 'colleague') {
      const joined = party.role === 'technician' && session.colleague?.state === 'joined' ? session.colleague : null;
      if (!joined) throw new RescueError('PEER_NOT_CONNECTED', 'No colleague has joined this session.');
      const target = this.technicians.get(joined.technician.id);
      if (!target) throw new RescueError('PEER_NOT_CONNECTED');
      target.send({ type: 'signal', sessionId, data });
      return;
    }
    const target = party.role === 'technician' ? session.customerConn : this.technicians.get(session.technician.id);
    if (!target) throw new RescueError('PEER_NOT_CONNECTED');
    target.send({ type: 'signal', sessionId, data });
  }

  report(party: Party, sessionId: string, event: ReportableAuditEvent, detail: string): void {
    const { session } = this.partOf(party, sessionId);
    this.atomically(() => this.deps.audit.record(session.id, event, this.actorOf(party), detail));
  }

  iceFor(party: Party, sessionId: string): IceConfig {
    const { session } = this.partOf(party, sessionId);
    const state = session.lifecycle.state;
    if (state !== 'active' && state !== 'suspended') throw new RescueError('SESSION_BAD_STATE');
    return this.ice(session, party.role);
  }

  /**
   * Server shutdown. Sessions a customer has joined, and pending codes, stay in
   * the live-session store when there is one (the next run restores them, signaling/live-sessions.ts):
   * their timers stop, their sockets are closed with 4012 and the clients
   * reconnect. Every other session is closed and both sides are told.
   */
  shutdown(): void {
    for (const session of [...this.sessions.values()]) {
      // Kept: a joined session, and a pending code (the customer may still be reading it out).
      if (this.deps.live && (session.tokenDigest !== null || session.lifecycle.state === 'pending')) {
        this.deps.clock.clearTimeout(session.expiryTimer);
        for (const timer of session.lost.values()) this.deps.clock.clearTimeout(timer);
        session.lost.clear();
        const customer = session.customerConn;
        session.customerConn = null;
        customer?.close(CLOSE_CODES.SERVER_SHUTDOWN, 'server shutdown');
        this.sessions.delete(session.id);
        this.unfile(session);
        continue;
      }
      this.close(session, 'server_shutdown');
    }
    this.byToken.clear();
    for (const conn of this.technicians.values()) conn.close(CLOSE_CODES.SERVER_SHUTDOWN, 'server shutdown');
    this.technicians.clear();
  }

  /**
   * A joined session the last run left that does not come back (start-up: its
   * technician's account was disabled or deleted meanwhile): its customer's
   * token is answered SESSION_NOT_RESTORED instead of TOKEN_INVALID, so the
   * customer reads why it ended. The newest MAX_NOT_RESTORED are kept.
   */
  notRestorable(record: LiveSessionRecord): void {
    this.notRestored.add(record.tokenDigest);
    if (this.notRestored.size > MAX_NOT_RESTORED) this.notRestored.delete(this.notRestored.values().next().value!);
  }

  /**
   * Brings back a session the last run left live (start-up): suspended with
   * both sides missing, each with its grace period, as after a drop; the
   * technician's cookie and the customer's token re-attach them. A session
   * that was only queued waits for its customer again.
   */

  restore(record: LiveSessionRecord): void {
    // A colleague is not restored: the lead invites them again (docs/reliability.md).
    const session = this.newSession(record);
    const { log } = session;
    session.lifecycle.transition('queued', 'code_entered');
    this.sessions.set(session.id, session);
    this.file(session);
    this.byToken.set(record.tokenDigest, session);
    // The code its customer used stays used: a second customer typing it hears CODE_USED, as before the restart.
    if (record.customer.code !== '') this.codes.bury(record.customer.code, 'used');
    if (record.activated) {
      session.lifecycle.transition('active', 'activated');
      session.lifecycle.transition('suspended', 'server_restart');
      this.deps.audit.record(session.id, 'session.suspended', { kind: 'server' }, 'server restarted');
      for (const side of ['technician', 'customer'] as const) {
        const reason: SessionReason = side === 'technician' ? 'technician_lost' : 'customer_lost';
        session.lost.set(side, this.deps.clock.setTimeout(() => this.close(session, reason), this.deps.config.reconnectGraceSeconds * 1000));
      }
    } else {
      this.lostSide(session, 'customer');
    }
    log.info({ activated: record.activated }, 'session restored after a restart');
  }

  /**
   * Brings back a code nobody had entered when the last run stopped (start-up):
   * pending again under its technician, with its original expiry; one that
   * expired while the server was down ends now, once, with `code_expired`
   * (a customer typing it then hears CODE_EXPIRED). `taken`, and nothing kept,
   * when the code is live for another session already.
   */
  restorePending(record: PendingCodeRecord & { code: string }): 'restored' | 'expired' | 'taken' {
    if (!this.codes.adopt(record.code, record.id)) return 'taken';
    const session = this.newSession(record);
    const { log } = session;
    this.sessions.set(session.id, session);
    this.file(session);
    const left = record.codeExpiresAt - this.deps.clock.now();
    if (left <= 0) this.close(session, 'code_expired');
    else session.expiryTimer = this.deps.clock.setTimeout(() => this.close(session, 'code_expired'), left);
    log.info({ expired: left <= 0 }, 'pending code restored after a restart');
    return left <= 0 ? 'expired' : 'restored';
  }

  /** A session record with its own logger and lifecycle, no timers, no sockets: made new, or restored after a restart. */
  private newSession(
    fields: Pick<Session, 'id' | 'technician' | 'createdAt' | 'forceRelay'> & Partial<Pick<Session, 'code' | 'codeExpiresAt' | 'tokenDigest' | 'customer'>>,
  ): Session {
    const log = sessionLogger(this.deps.logger, fields.id, 'server');
    return {
      id: fields.id,
      technician: fields.technician,
      lifecycle: new SessionLifecycle((from, to, reason) => log.info({ from, to, reason }, 'session state')),
      createdAt: fields.createdAt,
      forceRelay: fields.forceRelay,
      log,
      code: fields.code ?? null,
      codeExpiresAt: fields.codeExpiresAt ?? null,
      expiryTimer: null,
      tokenDigest: fields.tokenDigest ?? null,
      customer: fields.customer ?? null,
      customerConn: null,
      colleague: null,
      lost: new Map(),
    };
  }

  /** Moves a session to closed (idempotent), tells both sides, and forgets it. */
  close(session: Session, reason: SessionReason, by?: Party): void {
    if (!session.lifecycle.close(reason)) return;
    this.deps.clock.clearTimeout(session.expiryTimer);
    for (const timer of session.lost.values()) this.deps.clock.clearTimeout(timer);
    session.lost.clear();
    if (session.code !== null) {
      this.codes.retire(session.code, 'expired');
      this.deps.hooks?.codeRetired(session.code, 'expired');
    }
    this.sessions.delete(session.id);
    this.unfile(session);
    if (session.tokenDigest !== null) this.byToken.delete(session.tokenDigest);
    this.atomically(() => {
      this.deps.live?.forget(session.id);
      this.deps.audit.record(session.id, 'session.ended', by ? this.actorOf(by) : { kind: 'server' }, reason);
      this.deps.audit.closeSession(session.id, reason);
    });
    this.deps.hooks?.closed(session);
    this.tellTechnician(session, reason);
    const colleague = session.colleague;
    session.colleague = null;
    if (colleague) this.technicians.get(colleague.technician.id)?.send({ type: 'session.state', sessionId: session.id, state: 'closed', reason });
    const customer = session.customerConn;
    session.customerConn = null;
    if (customer) {
      customer.send({ type: 'session.state', sessionId: session.id, state: 'closed', reason });
      customer.close(CLOSE_CODES.SESSION_ENDED, 'session ended');
    }
  }

  // Internals.

  private atomically(writes: () => void): void {
    if (this.deps.atomically) this.deps.atomically(writes);
    else writes();
  }

  /** Whether this node holds any session of the technician. */
  hasSessionsOf(technicianId: string): boolean {
    return this.ownedBy(technicianId).length > 0;
  }

  /** The connection this node sends a technician's messages to, if any. */
  technicianConnection(technicianId: string): Connection | null {
    return this.technicians.get(technicianId) ?? null;
  }

  /** Every live session (node death handling walks them). */
  all(): Session[] {
    return [...this.sessions.values()];
  }

  /** The technician's sessions, oldest first: an index, not a walk over every session (it ran on each change). */
  private ownedBy(technicianId: string): Session[] {
    const filed = this.byTechnician.get(technicianId);
    return filed ? [...filed].filter((session) => session.technician.id === technicianId) : [];
  }

  private file(session: Session): void {
    const technicianId = session.technician.id;
    let filed = this.byTechnician.get(technicianId);
    if (!filed) this.byTechnician.set(technicianId, (filed = new Set()));
    filed.add(session);
    this.filedUnder.set(session, technicianId);
  }

  private unfile(session: Session): void {
    const technicianId = this.filedUnder.get(session);
    if (technicianId === undefined) return;
    this.filedUnder.delete(session);
    const filed = this.byTechnician.get(technicianId);
    filed?.delete(session);
    if (filed?.size === 0) this.byTechnician.delete(technicianId);
  }

  /** After a transfer: files the session under its new lead, among their sessions in creation order. */
  private refile(session: Session): void {
    const technicianId = session.technician.id;
    if (this.filedUnder.get(session) === technicianId || !this.sessions.has(session.id)) return;
    this.unfile(session);
    const filed = [...this.sessions.values()].filter((s) => s.technician.id === technicianId);
    this.byTechnician.set(technicianId, new Set(filed));
    for (const s of filed) this.filedUnder.set(s, technicianId);
  }

  /** The session of its lead or its customer; SESSION_NOT_FOUND for anyone else. */
  own(party: Party, sessionId: string): Session {
    const session = this.sessions.get(sessionId);
    const mine = party.role === 'technician' ? session?.technician.id === party.technician.id : party.session === session;
    if (!session || !mine) throw new RescueError('SESSION_NOT_FOUND');
    return session;
  }

  /** Like `own`, and also for the joined colleague (`colleague: true`). */
  private partOf(party: Party, sessionId: string): { session: Session; colleague: boolean } {
    const session = this.sessions.get(sessionId);
    if (party.role === 'technician' && session?.colleague?.state === 'joined' && session.colleague.technician.id === party.technician.id) {
      return { session, colleague: true };
    }
    return { session: this.own(party, sessionId), colleague: false };
  }

  actorOf(party: Party): AuditActor {
    return party.role === 'technician' ? { kind: 'technician', id: party.technician.id, label: party.technician.email } : { kind: 'customer' };
  }

  ice(session: Session, role: Role): IceConfig {
    return buildIceConfig(this.deps.config, { sessionId: session.id, role, forceRelay: session.forceRelay }, this.deps.clock.now());
  }

  /** A side's socket dropped: suspend an active session and start that side's grace period. */
  private lostSide(session: Session, side: Role): void {
    if (session.lost.has(side)) return;
    const reason: SessionReason = side === 'technician' ? 'technician_lost' : 'customer_lost';
    const timer = this.deps.clock.setTimeout(() => this.close(session, reason), this.deps.config.reconnectGraceSeconds * 1000);
    session.lost.set(side, timer);
    if (session.lifecycle.state === 'active') {
      session.lifecycle.transition('suspended', reason);
      this.atomically(() => this.deps.audit.record(session.id, 'session.suspended', { kind: 'server' }, `${side} lost`));
      this.tell(session, other(side), reason);
    }
  }

  /** A side is back: cancel its grace period; resume when nobody is missing any more. */
  private regained(session: Session, side: Role): void {
    const timer = session.lost.get(side);
    if (timer === undefined) return;
    this.deps.clock.clearTimeout(timer);
    session.lost.delete(side);
    if (session.lifecycle.state === 'suspended' && session.lost.size === 0) {
      session.lifecycle.transition('active', 'reconnected');
      this.atomically(() => this.deps.audit.record(session.id, 'session.resumed', { kind: 'server' }, `${side} reconnected`));
      this.tell(session, other(side), 'reconnected');
    }
  }

  /** Sends the technician their whole queue (unsolicited, no ref) after a transfer changed it. */
  pushList(technicianId: string): void {
    if (this.deps.hooks?.pushList) {
      this.deps.hooks.pushList(technicianId);
      return;
    }
    this.technicians.get(technicianId)?.send({ type: 'session.list', sessions: this.list(technicianId) });
  }

  private tell(session: Session, side: Role, reason: SessionReason): void {
    if (side === 'technician') this.tellTechnician(session, reason);
    else this.tellCustomer(session, reason);
  }

  /**
   * Tells the lead's console; `withSummary` when its queue entry changed beyond
   * the state (a customer entered the code, or their client or name changed):
   * the console replaces the entry from it, and no whole session.list is pushed.
   */
  private tellTechnician(session: Session, reason: SessionReason, withSummary = false): void {
    const conn = this.technicians.get(session.technician.id);
    if (!conn) return;
    const state = session.lifecycle.state;
    conn.send(withSummary ? { type: 'session.state', sessionId: session.id, state, reason, session: summarize(session) } : { type: 'session.state', sessionId: session.id, state, reason });
  }

  private tellCustomer(session: Session, reason: SessionReason): void {
    session.customerConn?.send({ type: 'session.state', sessionId: session.id, state: session.lifecycle.state, reason });
  }
}
