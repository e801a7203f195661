import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  ADHOC_LIVE_STATES,
  ADHOC_VALIDITY_MS,
  formatSecurityCode,
  type AdhocCreatedHttp,
  type AdhocServerMessage,
  type AdhocSummary,
} from '../../protocol/adhoc.ts';
import type { IceConfig } from '../../protocol/ice.ts';
import { RescueError } from '../../protocol/errors.ts';
import type { AuditEvent } from '../../protocol/signaling.ts';
import type { SignalData } from '../../protocol/ice.ts';
import { runAt, type Clock } from '../clock.ts';
import { sendDeploymentEmail, type DeploymentEmail, type Delivery, type MailConfig } from './mailer.ts';
import type { AdhocNodes, Peer } from './adhoc-nodes.ts';
import {
  CODE_FAILURES_PER_SESSION,
  CodeFailureLimiter,
  type CodeTry,
  SECURITY_CODE_TTL_MS,
  type CodeLimiter,
  codeMatches,
  generateSecurityCode,
  generateToken,
  hashSecurityCode,
  sha256,
} from './security-code.ts';
import type { AdhocRow, AdhocRows } from '../store/adhoc-rows.ts';

export type { Peer } from './adhoc-nodes.ts';

/** The logged-in technician, as the accounts module knows them. */
export interface Technician {
  id: string;
  name: string;
  email: string;
}

/** The server's audit log, as this module uses it (signaling/audit-log.ts; kind 'adhoc'). */
export interface AdhocAudit {
  open(sessionId: string, technician: Technician): void;
  record(sessionId: string, event: AuditEvent, actor: { kind: 'technician'; technician: Technician } | { kind: 'customer'; label: string } | { kind: 'server' }, detail: string): void;
  close(sessionId: string, reason: string): void;
  /** Resolves once every write made so far is stored (an HTTP reply waits for it: docs/decisions.md). */
  flush(): Promise<void>;
}

export interface AdhocServiceDeps {
  store: AdhocRows;
  /** The other nodes of a cluster (REDIS_URL), or absent on one node alone. */
  nodes?: AdhocNodes | null;
  /** Wrong-code counting; defaults to this node's memory (the cluster passes Redis counters). */
  limiter?: CodeLimiter;
  mail: Readonly<MailConfig>;
  /** The server's public origin (known once it listens). */
  publicUrl(): string;
  clock: Clock;
  logger: Logger;
  /** How many seats the administrator has set (`admin set-seats N`); null = unlimited. */
  seats(): number | null | Promise<number | null>;
  audit: AdhocAudit;
  iceConfig(connectionId: string, role: 'technician' | 'customer'): IceConfig;
  /** Replaceable for tests; defaults to SMTP or the outbox. */
  sendEmail?: (config: Readonly<MailConfig>, mail: DeploymentEmail) => Promise<Delivery>;
}

/** An unused preparation lapses after this long. */
export const PREPARE_TTL_MS = ADHOC_VALIDITY_MS;
/** After the code is accepted the technician has this long to set the password. */
export const PAIRING_WINDOW_MS = 10 * 60 * 1000;

const techOf = (row: AdhocRow): Technician => ({ id: row.technician_id, name: row.technician_name, email: row.technician_email });

interface Connection {
  id: string;
  adhocId: string;
  technician: Peer;
  agent: Peer;
}

/** A connection of a technician on this node to an agent on another node. */
interface Away {
  node: string;
  technician: Peer;
}

const LIVE = ADHOC_LIVE_STATES;
const BEFORE_PAIRING = ['prepared', 'downloaded'] as const;

/**
 * Ad hoc sessions on the server: seats, one live session per technician,
 * deployment link, security code, the agent's presence, relaying signaling for
 * connections, 24-hour expiry. It never sees the computer's password. The rows
 * are in the store (SQLite, or PostgreSQL shared by a cluster); a connection
 * lives on the node of the agent's socket, and a technician on another node
 * reaches it over the bus (adhoc-nodes.ts).
 */
export class AdhocService {
  readonly #d: AdhocServiceDeps;
  /** Set by close(): sockets that close later touch no store. */
  #closed = false;
  readonly #limiter: CodeLimiter;
  readonly #timers = new Map<string, () => void>();
  readonly #agents = new Map<string, Peer>();
  readonly #technicians = new Map<string, Set<Peer>>();
  readonly #connections = new Map<string, Connection>();
  readonly #away = new Map<string, Away>();
  /** The timers of the sessions live at start (tests await it). */
  readonly ready: Promise<void>;

  constructor(deps: AdhocServiceDeps) {
    this.#d = deps;
    this.#limiter = deps.limiter ?? new CodeFailureLimiter();
    this.ready = deps.store.allLive().then(
      (rows) => {
        if (!this.#closed) for (const row of rows) this.#schedule(row);
      },
      (err: unknown) => deps.logger.error({ err: (err as Error).message }, 'could not read the live ad hoc sessions'),
    );
  }

  get store(): AdhocRows {
    return this.#d.store;
  }

  close(): void {
    this.#closed = true;
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }

  // Technician actions.

  async create(tech: Technician, email: string): Promise<AdhocCreatedHttp> {
    const { store, clock } = this.#d;
    const seats = await this.#d.seats();
    const now = clock.now();
    const id = `ah_${randomBytes(12).toString('base64url')}`;
    const deploymentToken = generateToken();
    const code = generateSecurityCode();
    const row: AdhocRow = {
      id,
      technician_id: tech.id,
      technician_name: tech.name,
      technician_email: tech.email,
      email,
      state: 'prepared',
      created_at: now,
      activated_at: null,
      expires_at: now + PREPARE_TTL_MS,
      ended_at: null,
      end_reason: null,
      deployment_token_hash: sha256(deploymentToken),
      code_hash: hashSecurityCode(id, code),
      code_expires_at: now + SECURITY_CODE_TTL_MS,
      code_failures: 0,
      computer_name: null,
      agent_token_hash: null,
      pairing_deadline: null,
    };
    // One statement decides (a transaction under a lock on PostgreSQL): two requests on two nodes cannot both take the last seat.
    const outcome = await store.create(row, seats);
    if (outcome === 'already_active') throw new RescueError('ADHOC_ALREADY_ACTIVE');
    if (outcome === 'no_seat') {
      throw new RescueError('NO_SEAT_FREE', `All ${seats} ad hoc seat(s) are in use; ask an administrator to add seats (admin set-seats N).`);
    }
    this.#guard(() => this.#d.audit.open(id, tech));
    this.#audit(id, { kind: 'technician', technician: tech }, 'adhoc.created', `email=${email}`);
    this.#schedule(row);
    const publicUrl = this.#d.publicUrl();
    const deploymentUrl = `${publicUrl}/adhoc/${deploymentToken}`;
    let delivery: Delivery;
    try {
      delivery = await (this.#d.sendEmail ?? sendDeploymentEmail)(this.#d.mail, {
        to: email,
        technicianName: tech.name,
        deploymentUrl,
        serverUrl: publicUrl,
        deploymentToken,
        adhocId: id,
      });
    } catch (err) {
      this.#d.logger.warn({ adhocId: id, err: (err as Error).message }, 'ad hoc email failed');
      await this.#finish(id, 'ended', 'email_failed');
      await this.#d.audit.flush();
      throw new RescueError('EMAIL_FAILED', `The email could not be sent: ${(err as Error).message}`.slice(0, 400));
    }
    this.#d.logger.info({ adhocId: id, technicianId: tech.id, delivery }, 'ad hoc session prepared');
    // The 201 tells the console the session exists: its audit rows are stored first.
    await this.#d.audit.flush();
    const session = this.#summary(row, false);
    this.#changed(row, false);
    return { session, deploymentUrl, securityCode: formatSecurityCode(code), delivery };
  }

  /** Replaces the security code (the old one stops working); shown once, like the first. */
  async newCode(techId: string, adhocId: string): Promise<AdhocCreatedHttp> {
    await this.#owned(techId, adhocId);
    const code = generateSecurityCode();
    const row = await this.#d.store.update(adhocId, BEFORE_PAIRING, {
      code_hash: hashSecurityCode(adhocId, code),
      code_expires_at: this.#d.clock.now() + SECURITY_CODE_TTL_MS,
      code_failures: 0,
    });
    if (!row) throw new RescueError('SESSION_BAD_STATE', 'A new security code is only possible before the computer is paired.');
    const online = await this.#online(adhocId);
    const session = this.#summary(row, online);
    this.#changed(row, online);
    // The deployment link cannot be shown again (only its hash is kept); the console still has it.
    return { session, deploymentUrl: '', securityCode: formatSecurityCode(code), delivery: 'none' };
  }

  async end(techId: string, adhocId: string): Promise<AdhocSummary> {
    const row = await this.#owned(techId, adhocId);
    if (!LIVE.includes(row.state)) return this.#summary(row, false);
    await this.#finish(adhocId, 'ended', 'technician_ended');
    await this.#d.audit.flush();
    const after = await this.#d.store.get(adhocId);
    return this.#summary(after ?? row, false);
  }

  async list(techId: string): Promise<AdhocSummary[]> {
    const rows = await this.#d.store.forTechnician(techId, 50);
    const live = rows.filter((r) => LIVE.includes(r.state)).map((r) => r.id);
    const online = this.#d.nodes ? await this.#d.nodes.online(live) : new Set(live.filter((id) => this.#agents.has(id)));
    return rows.map((r) => this.#summary(r, online.has(r.id)));
  }

  technicianOnline(techId: string, peer: Peer): void {
    let set = this.#technicians.get(techId);
    if (!set) this.#technicians.set(techId, (set = new Set()));
    set.add(peer);
  }

  technicianGone(techId: string, peer: Peer): void {
    // A socket whose close arrives after the server shut down (its database is closed) changes nothing.
    if (this.#closed) return;
    this.#technicians.get(techId)?.delete(peer);
    for (const c of [...this.#connections.values()]) {
      if (c.technician === peer) this.disconnect(peer, c.id);
    }
    for (const [id, away] of [...this.#away]) if (away.technician === peer) this.disconnect(peer, id);
    this.#d.nodes?.dropLocal(peer);
  }

  /** Opens a connection: the pairing connection (code_entered) or a support connection (paired), on the agent's node. */
  async connect(techId: string, technician: Peer, adhocId: string, ref: string | undefined): Promise<void> {
    const row = await this.#connectable(techId, adhocId);
    if (this.#agents.has(adhocId)) {
      this.#open(row, technician, ref);
      return;
    }
    const nodes = this.#d.nodes;
    const node = nodes ? await nodes.agentNode(adhocId) : null;
    if (!nodes || node === null || node === nodes.nodeId) throw new RescueError('PEER_NOT_CONNECTED', 'The computer is offline.');
    // The agent's node sends the technician its adhoc.connection (with the ref) over the bus before it answers.
    const id = (await nodes.call(node, 'adhoc.connect', { techId, adhocId, ref, peer: nodes.idOf(technician) })) as string;
    this.#away.set(id, { node, technician });
    // The console closed while the call was out: the connection goes with it.
    if (!this.#technicians.get(techId)?.has(technician)) this.disconnect(technician, id);
  }

  /** Relays a description or candidate to the other end of the connection, if `from` is one end of it. */
  signal(from: Peer, connectionId: string, data: SignalData): void {
    const c = this.#connections.get(connectionId);
    if (c && (from === c.technician || from === c.agent)) {
      const to = from === c.technician ? c.agent : c.technician;
      to.send({ type: 'adhoc.signal', connectionId, data });
      return;
    }
    const away = this.#away.get(connectionId);
    if (away && away.technician === from && this.#d.nodes) {
      this.#d.nodes.cast(away.node, 'adhoc.signal', { connectionId, peer: this.#d.nodes.idOf(from), data });
      return;
    }
    throw new RescueError('SESSION_NOT_FOUND', 'No such connection.');
  }

  disconnect(from: Peer, connectionId: string): void {
    const c = this.#connections.get(connectionId);
    if (c && (from === c.technician || from === c.agent)) {
      this.#dropConnection(c);
      return;
    }
    const away = this.#away.get(connectionId);
    if (away && away.technician === from && this.#d.nodes) {
      this.#away.delete(connectionId);
      this.#d.nodes.cast(away.node, 'adhoc.disconnect', { connectionId, peer: this.#d.nodes.idOf(from) });
    }
  }

  // Agent actions.

  /**
   * Until when a deployment token may be carried by a download: the session's
   * expiry while the link is still usable (prepared or downloaded), else null.
   */
  async deploymentValidUntil(token: string): Promise<number | null> {
    try {
      const row = await this.#byDeploymentToken(token);
      return row.expires_at > this.#d.clock.now() ? row.expires_at : null;
    } catch {
      return null;
    }
  }

  /** A fresh agent announces its deployment token; the session becomes `downloaded`. */
  async agentHello(peer: Peer, deploymentToken: string, ref: string | undefined): Promise<string> {
    let row = await this.#byDeploymentToken(deploymentToken);
    if (row.state === 'prepared') row = (await this.#d.store.transition(row.id, ['prepared'], 'downloaded')) ?? (await this.#byDeploymentToken(deploymentToken));
    this.#agentHere(row.id, peer);
    this.#changed(row, true);
    peer.send({ type: 'adhoc.code_required', ref, technicianName: row.technician_name });
    return row.id;
  }

  /** Checks a security code; a right one binds the agent to the session and hands it its agent token. */
  async agentCode(peer: Peer, deploymentToken: string, code: string, computerName: string, address: string, ref: string | undefined): Promise<string> {
    const now = this.#d.clock.now();
    const attempt = await this.#limiter.reserve(address, now);
    if (attempt.limit === 'busy') throw new RescueError('CODE_BUSY');
    if (attempt.limit === 'address_locked') throw new RescueError('CODE_LOCKED_OUT');
    try {
      return await this.#checkCode(peer, deploymentToken, code, computerName, now, ref, attempt);
    } finally {
      // A wrong code settled its try as a failure already; anything else gives the place back.
      await Promise.resolve(attempt.settle(false)).catch((err: unknown) => this.#d.logger.warn({ err: (err as Error).message }, 'a security code try was not given back'));
    }
  }

  async #checkCode(peer: Peer, deploymentToken: string, code: string, computerName: string, now: number, ref: string | undefined, attempt: CodeTry): Promise<string> {
    const row = await this.#byDeploymentToken(deploymentToken);
    if (row.state !== 'downloaded') throw new RescueError('SESSION_BAD_STATE', 'Start the support program from the link first.');
    const valid = row.code_hash !== null && row.code_expires_at !== null && row.code_expires_at > now;
    if (!valid || !codeMatches(row.id, code, row.code_hash!)) {
      await attempt.settle(true);
      // Counted in one statement: guesses on two nodes at once are each counted.
      const failures = await this.#d.store.codeFailed(row.id, CODE_FAILURES_PER_SESSION);
      if (failures === undefined) throw new RescueError('SESSION_BAD_STATE', 'This link has already been used.');
      const voided = failures >= CODE_FAILURES_PER_SESSION;
      this.#d.logger.info({ adhocId: row.id, failures }, 'wrong ad hoc security code');
      if (voided) this.#changed({ ...row, code_failures: failures, code_hash: null, code_expires_at: null }, this.#agents.has(row.id));
      throw new RescueError(
        'SECURITY_CODE_INVALID',
        !valid
          ? 'That security code has expired or was used up; ask your technician for a new one.'
          : voided
            ? 'Too many wrong security codes; ask your technician for a new one.'
            : `That security code is not valid (${Math.max(0, CODE_FAILURES_PER_SESSION - failures)} tries left).`,
      );
    }
    const agentToken = generateToken();
    const deadline = now + PAIRING_WINDOW_MS;
    const entered = await this.#d.store.transition(row.id, ['downloaded'], 'code_entered', {
      code_hash: null,
      code_expires_at: null,
      computer_name: computerName,
      agent_token_hash: sha256(agentToken),
      pairing_deadline: deadline,
    });
    if (!entered) throw new RescueError('SESSION_BAD_STATE', 'This link has already been used.');
    this.#agentHere(row.id, peer);
    this.#schedule(entered);
    this.#d.logger.info({ adhocId: row.id }, 'ad hoc security code accepted');
    peer.send({ type: 'adhoc.code_accepted', ref, adhocId: row.id, agentToken, technicianName: row.technician_name, pairingDeadline: deadline });
    this.#changed(entered, true);
    return row.id;
  }

  /** A known agent reconnects with its agent token. An ended session tells it to clean up. */
  async agentResume(peer: Peer, agentToken: string, ref: string | undefined): Promise<string> {
    const row = await this.#d.store.byAgentTokenHash(sha256(agentToken));
    if (!row) throw new RescueError('TOKEN_INVALID');
    if (!LIVE.includes(row.state)) {
      peer.send({ type: 'adhoc.ended', adhocId: row.id, reason: row.state === 'expired' ? 'expired' : this.#endReason(row) });
      return row.id;
    }
    this.#agentHere(row.id, peer);
    peer.send({ type: 'adhoc.welcome', ref, adhocId: row.id, state: row.state, technicianName: row.technician_name, expiresAt: row.expires_at });
    this.#changed(row, true);
    return row.id;
  }

  /** The agent stored the password hash: the 24 hours start now. */
  async agentPaired(adhocId: string, peer: Peer, ref: string | undefined): Promise<void> {
    const now = this.#d.clock.now();
    const updated = await this.#d.store.transition(adhocId, ['code_entered'], 'paired', {
      activated_at: now,
      expires_at: now + ADHOC_VALIDITY_MS,
      pairing_deadline: null,
    });
    if (!updated) throw new RescueError('SESSION_BAD_STATE');
    this.#schedule(updated);
    this.#audit(adhocId, { kind: 'customer', label: updated.computer_name ?? 'agent' }, 'adhoc.paired', `computer=${updated.computer_name ?? ''}`);
    this.#d.logger.info({ adhocId }, 'ad hoc session paired');
    // Held until the audit row is stored (signaling/store/reply-gate.ts).
    peer.send({ type: 'adhoc.activated', ref, adhocId, expiresAt: updated.expires_at });
    this.#changed(updated, true);
  }

  /** The agent reports the outcome of a password proof (audit only; the agent enforces it). */
  async agentAuth(adhocId: string, connectionId: string, ok: boolean): Promise<void> {
    const row = await this.#d.store.get(adhocId);
    if (!row) return;
    this.#audit(adhocId, { kind: 'customer', label: row.computer_name ?? 'agent' }, ok ? 'adhoc.connected' : 'adhoc.auth_failed', `connection=${connectionId}`);
  }

  agentGone(adhocId: string, peer: Peer): void {
    if (this.#closed || this.#agents.get(adhocId) !== peer) return;
    this.#agents.delete(adhocId);
    this.#d.nodes?.agentLeft(adhocId);
    for (const c of [...this.#connections.values()]) if (c.agent === peer) this.#dropConnection(c);
    void this.#d.store.get(adhocId).then(
      (row) => {
        if (row && !this.#closed) this.#changed(row, false);
      },
      () => undefined,
    );
  }

  // Calls and messages from the other nodes (adhoc-nodes.ts; ops `adhoc.*`).

  async nodeCall(op: string, args: Record<string, unknown>, from: string): Promise<unknown> {
    const nodes = this.#d.nodes;
    if (op !== 'adhoc.connect' || !nodes) throw new RescueError('INTERNAL', `Unknown node call ${op}.`);
    const adhocId = String(args.adhocId);
    const row = await this.#connectable(String(args.techId), adhocId);
    if (!this.#agents.has(adhocId)) throw new RescueError('PEER_NOT_CONNECTED', 'The computer is offline.');
    return this.#open(row, nodes.remote(from, String(args.peer)), typeof args.ref === 'string' ? args.ref : undefined);
  }

  nodeCast(op: string, args: Record<string, unknown>, from: string): void {
    const nodes = this.#d.nodes;
    if (!nodes || this.#closed) return;
    switch (op) {
      case 'adhoc.signal':
        this.signal(nodes.remote(from, String(args.peer)), String(args.connectionId), args.data as SignalData);
        return;
      case 'adhoc.disconnect':
        this.disconnect(nodes.remote(from, String(args.peer)), String(args.connectionId));
        return;
      case 'adhoc.deliver': {
        const message = args.message as AdhocServerMessage;
        if (message.type === 'adhoc.disconnect') this.#away.delete(message.connectionId);
        nodes.local(String(args.peer))?.send(message);
        return;
      }
      case 'adhoc.changed':
        this.#changedHere(args.row as AdhocRow, args.online === true);
        return;
      case 'adhoc.finished':
        this.#endedHere(String(args.adhocId), args.reason as 'expired' | 'pairing_abandoned' | 'technician_ended');
        return;
      default:
        this.#d.logger.warn({ op }, 'unknown ad hoc node message');
    }
  }

  /** Nodes that stopped answering: connections through them are gone. */
  nodesDead(dead: readonly string[]): void {
    const nodes = this.#d.nodes;
    if (!nodes) return;
    for (const [id, away] of [...this.#away]) {
      if (!dead.includes(away.node)) continue;
      this.#away.delete(id);
      away.technician.send({ type: 'adhoc.disconnect', connectionId: id });
    }
    for (const c of [...this.#connections.values()]) {
      const node = nodes.nodeOf(c.technician);
      if (node !== null && dead.includes(node)) this.#dropConnection(c);
    }
  }

  // Internals.

  async #owned(techId: string, adhocId: string): Promise<AdhocRow> {
    const row = await this.#d.store.get(adhocId);
    if (!row || row.technician_id !== techId) throw new RescueError('ADHOC_NOT_FOUND');
    return row;
  }

  async #connectable(techId: string, adhocId: string): Promise<AdhocRow> {
    const row = await this.#owned(techId, adhocId);
    if (row.state === 'expired') throw new RescueError('ADHOC_EXPIRED');
    if (row.state !== 'paired' && row.state !== 'code_entered') {
      throw new RescueError('SESSION_BAD_STATE', 'The computer is not paired yet.');
    }
    return row;
  }

  /** Opens a connection between a technician (here or on another node) and this node's agent; its id. */
  #open(row: AdhocRow, technician: Peer, ref: string | undefined): string {
    const adhocId = row.id;
    const agent = this.#agents.get(adhocId);
    if (!agent) throw new RescueError('PEER_NOT_CONNECTED', 'The computer is offline.');
    // One connection per computer: a new one replaces the old.
    for (const c of [...this.#connections.values()]) if (c.adhocId === adhocId) this.#dropConnection(c);
    const id = `ac_${randomBytes(12).toString('base64url')}`;
    this.#connections.set(id, { id, adhocId, technician, agent });
    const computer = row.computer_name ?? 'Computer';
    const techIce = this.#d.iceConfig(id, 'technician');
    const agentIce = this.#d.iceConfig(id, 'customer');
    technician.send({ type: 'adhoc.connection', ref, adhocId, connectionId: id, role: 'technician', polite: false, peerName: computer, ice: techIce });
    agent.send({ type: 'adhoc.connection', adhocId, connectionId: id, role: 'customer', polite: true, peerName: row.technician_name, ice: agentIce });
    this.#d.logger.info({ adhocId, connectionId: id }, 'ad hoc connection opened');
    return id;
  }

  async #byDeploymentToken(token: string): Promise<AdhocRow> {
    const row = await this.#d.store.byDeploymentTokenHash(sha256(token));
    if (!row) throw new RescueError('ADHOC_NOT_FOUND', 'This link is not valid.');
    if (row.state === 'expired') throw new RescueError('ADHOC_EXPIRED');
    if (!LIVE.includes(row.state)) throw new RescueError('ADHOC_NOT_FOUND', 'This support session has ended.');
    if (row.state === 'code_entered' || row.state === 'paired') throw new RescueError('SESSION_BAD_STATE', 'This link has already been used.');
    return row;
  }

  #agentHere(adhocId: string, peer: Peer): void {
    this.#agents.set(adhocId, peer);
    this.#d.nodes?.agentHere(adhocId);
  }

  async #online(adhocId: string): Promise<boolean> {
    if (this.#agents.has(adhocId)) return true;
    return this.#d.nodes ? (await this.#d.nodes.online([adhocId])).has(adhocId) : false;
  }

  #endReason(row: AdhocRow): 'technician_ended' | 'pairing_abandoned' {
    return row.end_reason === 'pairing_abandoned' ? 'pairing_abandoned' : 'technician_ended';
  }

  /** (Re)arms the session's timer: every node keeps one; the first to fire wins the state change (the store decides). */
  #schedule(row: AdhocRow): void {
    this.#timers.get(row.id)?.();
    this.#timers.delete(row.id);
    if (this.#closed || !LIVE.includes(row.state)) return;
    const at = row.state === 'code_entered' && row.pairing_deadline !== null ? Math.min(row.pairing_deadline, row.expires_at) : row.expires_at;
    this.#timers.set(
      row.id,
      runAt(this.#d.clock, at, () => {
        this.#timers.delete(row.id);
        void this.#lapse(row.id).catch((err: unknown) => this.#d.logger.error({ adhocId: row.id, err: (err as Error).message }, 'ad hoc expiry failed'));
      }),
    );
  }

  async #lapse(adhocId: string): Promise<void> {
    const current = await this.#d.store.get(adhocId);
    if (this.#closed || !current || !LIVE.includes(current.state)) return;
    const now = this.#d.clock.now();
    if (current.state === 'code_entered' && current.pairing_deadline !== null && current.pairing_deadline <= now) {
      await this.#finish(adhocId, 'ended', 'pairing_abandoned');
    } else if (current.expires_at <= now) {
      await this.#finish(adhocId, 'expired', 'expired');
    } else {
      this.#schedule(current);
    }
  }

  /** Ends or expires a session: the store's state change decides (once over all nodes), then the agent is told, connections drop, the seat is free, it is audited. */
  async #finish(adhocId: string, state: 'ended' | 'expired', reason: string): Promise<void> {
    const row = await this.#d.store.transition(adhocId, LIVE, state, { ended_at: this.#d.clock.now(), end_reason: reason, code_hash: null, code_expires_at: null });
    if (!row) return;
    this.#audit(adhocId, reason === 'technician_ended' ? { kind: 'technician', technician: techOf(row) } : { kind: 'server' }, 'adhoc.ended', `reason=${reason}`);
    this.#guard(() => this.#d.audit.close(adhocId, reason));
    const wire = state === 'expired' ? 'expired' : reason === 'pairing_abandoned' ? 'pairing_abandoned' : 'technician_ended';
    this.#endedHere(adhocId, wire);
    this.#d.nodes?.broadcast('adhoc.finished', { adhocId, reason: wire });
    this.#d.logger.info({ adhocId, reason }, `ad hoc session ${state}`);
    this.#changed(row, false);
  }

  /** A session ended (here or on another node): this node's timer, connections and agent. */
  #endedHere(adhocId: string, reason: 'expired' | 'pairing_abandoned' | 'technician_ended'): void {
    this.#timers.get(adhocId)?.();
    this.#timers.delete(adhocId);
    for (const c of [...this.#connections.values()]) if (c.adhocId === adhocId) this.#dropConnection(c);
    this.#agents.get(adhocId)?.send({ type: 'adhoc.ended', adhocId, reason });
  }

  #dropConnection(c: Connection): void {
    this.#connections.delete(c.id);
    c.technician.send({ type: 'adhoc.disconnect', connectionId: c.id });
    c.agent.send({ type: 'adhoc.disconnect', connectionId: c.id });
  }

  /** A session's row changed: this node's consoles and timer, and every other node's (in order per node). */
  #changed(row: AdhocRow, online: boolean): void {
    this.#changedHere(row, online);
    this.#d.nodes?.broadcast('adhoc.changed', { row, online });
  }

  #changedHere(row: AdhocRow, online: boolean): void {
    if (this.#closed) return;
    if (LIVE.includes(row.state)) this.#schedule(row);
    else {
      this.#timers.get(row.id)?.();
      this.#timers.delete(row.id);
    }
    this.#notifyTechnician(row.technician_id, { type: 'adhoc.update', session: this.#summary(row, online || this.#agents.has(row.id)) });
  }

  #notifyTechnician(techId: string, msg: AdhocServerMessage): void {
    for (const peer of this.#technicians.get(techId) ?? []) peer.send(msg);
  }

  #audit(sessionId: string, actor: Parameters<AdhocAudit['record']>[2], event: AuditEvent, detail: string): void {
    this.#guard(() => this.#d.audit.record(sessionId, event, actor, detail));
  }

  #guard(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.#d.logger.error({ err: (err as Error).message }, 'audit write failed');
    }
  }

  #summary(row: AdhocRow, online: boolean): AdhocSummary {
    const live = LIVE.includes(row.state);
    return {
      adhocId: row.id,
      state: row.state,
      email: row.email,
      createdAt: row.created_at,
      activatedAt: row.activated_at,
      expiresAt: row.expires_at,
      computerName: row.computer_name,
      online: live && online,
      securityCodeExpiresAt: row.code_expires_at,
    };
  }
}
