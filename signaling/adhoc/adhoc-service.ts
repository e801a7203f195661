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
import {
  CODE_FAILURES_PER_SESSION,
  CodeFailureLimiter,
  SECURITY_CODE_TTL_MS,
  codeMatches,
  generateSecurityCode,
  generateToken,
  hashSecurityCode,
  sha256,
} from './security-code.ts';
import { AdhocStore, type AdhocRow } from './store.ts';

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
}

/** One end of a socket, as the service sees it. */
export interface Peer {
  send(msg: AdhocServerMessage): void;
}

export interface AdhocServiceDeps {
  store: AdhocStore;
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

/**
 * Ad hoc sessions on the server: seats, one live session per technician,
 * deployment link, security code, the agent's presence, relaying signaling for
 * connections, 24-hour expiry. It never sees the computer's password.
 */
export class AdhocService {
  readonly #d: AdhocServiceDeps;
  /** Set by close(): sockets that close later touch no store. */
  #closed = false;
  readonly #limiter = new CodeFailureLimiter();
  readonly #timers = new Map<string, () => void>();
  readonly #agents = new Map<string, Peer>();
  readonly #technicians = new Map<string, Set<Peer>>();
  readonly #connections = new Map<string, Connection>();

  constructor(deps: AdhocServiceDeps) {
    this.#d = deps;
    for (const row of deps.store.allLive()) this.#schedule(row);
  }

  get store(): AdhocStore {
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
    // Read first: from the checks to the insert all is synchronous, so two requests cannot both take the last seat.
    const seats = await this.#d.seats();
    const now = clock.now();
    if (store.liveForTechnician(tech.id)) throw new RescueError('ADHOC_ALREADY_ACTIVE');
    if (seats !== null && store.seatsInUse() >= seats) {
      throw new RescueError('NO_SEAT_FREE', `All ${seats} ad hoc seat(s) are in use; ask an administrator to add seats (admin set-seats N).`);
    }
    const id = `ah_${randomBytes(12).toString('base64url')}`;
    const deploymentToken = generateToken();
    const code = generateSecurityCode();
    store.insert({
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
    });
    this.#guard(() => this.#d.audit.open(id, tech));
    this.#audit(id, { kind: 'technician', technician: tech }, 'adhoc.created', `email=${email}`);
    this.#schedule(store.get(id)!);
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
      this.#finish(id, 'ended', 'email_failed');
      throw new RescueError('EMAIL_FAILED', `The email could not be sent: ${(err as Error).message}`.slice(0, 400));
    }
    this.#d.logger.info({ adhocId: id, technicianId: tech.id, delivery }, 'ad hoc session prepared');
    const session = this.#summary(store.get(id)!);
    this.#notifyTechnician(tech.id, { type: 'adhoc.update', session });
    return { session, deploymentUrl, securityCode: formatSecurityCode(code), delivery };
  }

  /** Replaces the security code (the old one stops working); shown once, like the first. */
  newCode(techId: string, adhocId: string): AdhocCreatedHttp {
    const row = this.#owned(techId, adhocId);
    if (row.state !== 'prepared' && row.state !== 'downloaded') {
      throw new RescueError('SESSION_BAD_STATE', 'A new security code is only possible before the computer is paired.');
    }
    const code = generateSecurityCode();
    this.#d.store.update(adhocId, {
      code_hash: hashSecurityCode(adhocId, code),
      code_expires_at: this.#d.clock.now() + SECURITY_CODE_TTL_MS,
      code_failures: 0,
    });
    const session = this.#summary(this.#d.store.get(adhocId)!);
    this.#notifyTechnician(techId, { type: 'adhoc.update', session });
    // The deployment link cannot be shown again (only its hash is kept); the console still has it.
    return { session, deploymentUrl: '', securityCode: formatSecurityCode(code), delivery: 'none' };
  }

  end(techId: string, adhocId: string): AdhocSummary {
    const row = this.#owned(techId, adhocId);
    if (!ADHOC_LIVE_STATES.includes(row.state)) return this.#summary(row);
    this.#finish(adhocId, 'ended', 'technician_ended');
    return this.#summary(this.#d.store.get(adhocId)!);
  }

  list(techId: string): AdhocSummary[] {
    return this.#d.store.forTechnician(techId, 50).map((r) => this.#summary(r));
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
  }

  /** Opens a connection: the pairing connection (code_entered) or a support connection (paired). */
  connect(techId: string, technician: Peer, adhocId: string, ref: string | undefined): void {
    const row = this.#owned(techId, adhocId);
    if (row.state === 'expired') throw new RescueError('ADHOC_EXPIRED');
    if (row.state !== 'paired' && row.state !== 'code_entered') {
      throw new RescueError('SESSION_BAD_STATE', 'The computer is not paired yet.');
    }
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
  }

  /** Relays a description or candidate to the other end of the connection, if `from` is one end of it. */
  signal(from: Peer, connectionId: string, data: SignalData): void {
    const c = this.#connections.get(connectionId);
    if (!c || (from !== c.technician && from !== c.agent)) throw new RescueError('SESSION_NOT_FOUND', 'No such connection.');
    const to = from === c.technician ? c.agent : c.technician;
    to.send({ type: 'adhoc.signal', connectionId, data });
  }

  disconnect(from: Peer, connectionId: string): void {
    const c = this.#connections.get(connectionId);
    if (!c || (from !== c.technician && from !== c.agent)) return;
    this.#dropConnection(c);
  }

  // Agent actions.

  /**
   * Until when a deployment token may be carried by a download: the session's
   * expiry while the link is still usable (prepared or downloaded), else null.
   */
  deploymentValidUntil(token: string): number | null {
    try {
      const row = this.#byDeploymentToken(token);
      return row.expires_at > this.#d.clock.now() ? row.expires_at : null;
    } catch {
      return null;
    }
  }

  /** A fresh agent announces its deployment token; the session becomes `downloaded`. */
  agentHello(peer: Peer, deploymentToken: string, ref: string | undefined): string {
    const row = this.#byDeploymentToken(deploymentToken);
    if (row.state === 'prepared') this.#d.store.transition(row.id, 'downloaded');
    this.#agents.set(row.id, peer);
    this.#changed(row.id);
    peer.send({ type: 'adhoc.code_required', ref, technicianName: row.technician_name });
    return row.id;
  }

  /** Checks a security code; a right one binds the agent to the session and hands it its agent token. */
  agentCode(peer: Peer, deploymentToken: string, code: string, computerName: string, address: string, ref: string | undefined): string {
    const now = this.#d.clock.now();
    const limit = this.#limiter.check(address, now);
    if (limit === 'busy') throw new RescueError('CODE_BUSY');
    if (limit === 'address_locked') throw new RescueError('CODE_LOCKED_OUT');
    const row = this.#byDeploymentToken(deploymentToken);
    if (row.state !== 'downloaded') throw new RescueError('SESSION_BAD_STATE', 'Start the support program from the link first.');
    const valid = row.code_hash !== null && row.code_expires_at !== null && row.code_expires_at > now;
    if (!valid || !codeMatches(row.id, code, row.code_hash!)) {
      this.#limiter.fail(address, now);
      const failures = row.code_failures + 1;
      const voided = failures >= CODE_FAILURES_PER_SESSION;
      this.#d.store.update(row.id, voided ? { code_failures: failures, code_hash: null, code_expires_at: null } : { code_failures: failures });
      this.#d.logger.info({ adhocId: row.id, failures }, 'wrong ad hoc security code');
      if (voided) this.#changed(row.id);
      throw new RescueError(
        'SECURITY_CODE_INVALID',
        !valid
          ? 'That security code has expired or was used up; ask your technician for a new one.'
          : voided
            ? 'Too many wrong security codes; ask your technician for a new one.'
            : `That security code is not valid (${CODE_FAILURES_PER_SESSION - failures} tries left).`,
      );
    }
    const agentToken = generateToken();
    const deadline = now + PAIRING_WINDOW_MS;
    this.#d.store.transition(row.id, 'code_entered', {
      code_hash: null,
      code_expires_at: null,
      computer_name: computerName,
      agent_token_hash: sha256(agentToken),
      pairing_deadline: deadline,
    });
    this.#agents.set(row.id, peer);
    this.#schedule(this.#d.store.get(row.id)!);
    this.#d.logger.info({ adhocId: row.id }, 'ad hoc security code accepted');
    peer.send({ type: 'adhoc.code_accepted', ref, adhocId: row.id, agentToken, technicianName: row.technician_name, pairingDeadline: deadline });
    this.#changed(row.id);
    return row.id;
  }

  /** A known agent reconnects with its agent token. An ended session tells it to clean up. */
  agentResume(peer: Peer, agentToken: string, ref: string | undefined): string {
    const row = this.#d.store.byAgentTokenHash(sha256(agentToken));
    if (!row) throw new RescueError('TOKEN_INVALID');
    if (!ADHOC_LIVE_STATES.includes(row.state)) {
      peer.send({ type: 'adhoc.ended', adhocId: row.id, reason: row.state === 'expired' ? 'expired' : this.#endReason(row) });
      return row.id;
    }
    this.#agents.set(row.id, peer);
    peer.send({ type: 'adhoc.welcome', ref, adhocId: row.id, state: row.state, technicianName: row.technician_name, expiresAt: row.expires_at });
    this.#changed(row.id);
    return row.id;
  }

  /** The agent stored the password hash: the 24 hours start now. */
  agentPaired(adhocId: string, peer: Peer, ref: string | undefined): void {
    const row = this.#d.store.get(adhocId);
    if (!row || row.state !== 'code_entered') throw new RescueError('SESSION_BAD_STATE');
    const now = this.#d.clock.now();
    const updated = this.#d.store.transition(adhocId, 'paired', {
      activated_at: now,
      expires_at: now + ADHOC_VALIDITY_MS,
      pairing_deadline: null,
    });
    this.#schedule(updated);
    this.#audit(adhocId, { kind: 'customer', label: row.computer_name ?? 'agent' }, 'adhoc.paired', `computer=${row.computer_name ?? ''}`);
    this.#d.logger.info({ adhocId }, 'ad hoc session paired');
    peer.send({ type: 'adhoc.activated', ref, adhocId, expiresAt: updated.expires_at });
    this.#changed(adhocId);
  }

  /** The agent reports the outcome of a password proof (audit only; the agent enforces it). */
  agentAuth(adhocId: string, connectionId: string, ok: boolean): void {
    const row = this.#d.store.get(adhocId);
    if (!row) return;
    this.#audit(adhocId, { kind: 'customer', label: row.computer_name ?? 'agent' }, ok ? 'adhoc.connected' : 'adhoc.auth_failed', `connection=${connectionId}`);
  }

  agentGone(adhocId: string, peer: Peer): void {
    if (this.#closed || this.#agents.get(adhocId) !== peer) return;
    this.#agents.delete(adhocId);
    for (const c of [...this.#connections.values()]) if (c.agent === peer) this.#dropConnection(c);
    this.#changed(adhocId);
  }

  // Internals.

  #owned(techId: string, adhocId: string): AdhocRow {
    const row = this.#d.store.get(adhocId);
    if (!row || row.technician_id !== techId) throw new RescueError('ADHOC_NOT_FOUND');
    return row;
  }

  #byDeploymentToken(token: string): AdhocRow {
    const row = this.#d.store.byDeploymentTokenHash(sha256(token));
    if (!row) throw new RescueError('ADHOC_NOT_FOUND', 'This link is not valid.');
    if (row.state === 'expired') throw new RescueError('ADHOC_EXPIRED');
    if (!ADHOC_LIVE_STATES.includes(row.state)) throw new RescueError('ADHOC_NOT_FOUND', 'This support session has ended.');
    if (row.state === 'code_entered' || row.state === 'paired') throw new RescueError('SESSION_BAD_STATE', 'This link has already been used.');
    return row;
  }

  #endReason(row: AdhocRow): 'technician_ended' | 'pairing_abandoned' {
    return row.end_reason === 'pairing_abandoned' ? 'pairing_abandoned' : 'technician_ended';
  }

  #schedule(row: AdhocRow): void {
    this.#timers.get(row.id)?.();
    const at = row.state === 'code_entered' && row.pairing_deadline !== null ? Math.min(row.pairing_deadline, row.expires_at) : row.expires_at;
    this.#timers.set(
      row.id,
      runAt(this.#d.clock, at, () => {
        this.#timers.delete(row.id);
        const current = this.#d.store.get(row.id);
        if (!current || !ADHOC_LIVE_STATES.includes(current.state)) return;
        if (current.state === 'code_entered' && current.pairing_deadline !== null && current.pairing_deadline <= this.#d.clock.now()) {
          this.#finish(row.id, 'ended', 'pairing_abandoned');
        } else if (current.expires_at <= this.#d.clock.now()) {
          this.#finish(row.id, 'expired', 'expired');
        } else {
          this.#schedule(current);
        }
      }),
    );
  }

  /** Ends or expires a session: tells the agent, drops connections, frees the seat, audits. */
  #finish(adhocId: string, state: 'ended' | 'expired', reason: string): void {
    const row = this.#d.store.get(adhocId);
    if (!row || !ADHOC_LIVE_STATES.includes(row.state)) return;
    this.#timers.get(adhocId)?.();
    this.#timers.delete(adhocId);
    this.#d.store.transition(adhocId, state, { ended_at: this.#d.clock.now(), end_reason: reason, code_hash: null, code_expires_at: null });
    for (const c of [...this.#connections.values()]) if (c.adhocId === adhocId) this.#dropConnection(c);
    const agent = this.#agents.get(adhocId);
    const wire = state === 'expired' ? 'expired' : reason === 'pairing_abandoned' ? 'pairing_abandoned' : 'technician_ended';
    agent?.send({ type: 'adhoc.ended', adhocId, reason: wire });
    this.#audit(adhocId, reason === 'technician_ended' ? { kind: 'technician', technician: techOf(row) } : { kind: 'server' }, 'adhoc.ended', `reason=${reason}`);
    this.#guard(() => this.#d.audit.close(adhocId, reason));
    this.#d.logger.info({ adhocId, reason }, `ad hoc session ${state}`);
    this.#changed(adhocId);
  }

  #dropConnection(c: Connection): void {
    this.#connections.delete(c.id);
    c.technician.send({ type: 'adhoc.disconnect', connectionId: c.id });
    c.agent.send({ type: 'adhoc.disconnect', connectionId: c.id });
  }

  #changed(adhocId: string): void {
    const row = this.#d.store.get(adhocId);
    if (row) this.#notifyTechnician(row.technician_id, { type: 'adhoc.update', session: this.#summary(row) });
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

  #summary(row: AdhocRow): AdhocSummary {
    const live = ADHOC_LIVE_STATES.includes(row.state);
    return {
      adhocId: row.id,
      state: row.state,
      email: row.email,
      createdAt: row.created_at,
      activatedAt: row.activated_at,
      expiresAt: row.expires_at,
      computerName: row.computer_name,
      online: live && this.#agents.has(row.id),
      securityCodeExpiresAt: row.code_expires_at,
    };
  }
}
