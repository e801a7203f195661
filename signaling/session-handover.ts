import { RescueError, type ColleagueState, type ServerMessage, type TechnicianRef } from '../protocol/index.ts';
import type { AuditLog } from './audit-log.ts';
import type { Party, Session, TechnicianIdentity } from './session.ts';
import type { SessionRegistry } from './session-registry.ts';

export const refOf = (t: TechnicianIdentity): TechnicianRef => ({ id: t.id, name: t.name, email: t.email });

/** One step of transfer or collaboration, as a socket asks it; it runs on the session's home node (docs/scale.md). */
export type HandoverOp =
  | { kind: 'transfer'; technicianId: string; note?: string | undefined }
  | { kind: 'invite'; technicianId: string }
  | { kind: 'control'; granted: boolean }
  | { kind: 'remove' }
  | { kind: 'answer'; accept: boolean };

/**
 * Transfer and collaboration on live PIN sessions. Every name anyone is shown
 * comes from the accounts; only the session's lead transfers, invites,
 * hands over control or removes; only the customer approves a colleague; and
 * each step is one audit row.
 *
 * Transfer: the customer hears who takes over first (`session.transferred`),
 * the old lead is told the session is closed for them (reason `transferred`)
 * and stops being a party at once, then both the new lead and the customer get
 * a fresh `session.activated`, so the customer's end opens a new peer
 * connection and drops the old one. Its grants are not carried over
 * (docs/decisions.md).
 *
 * Collaboration: the colleague's console connects to the lead's console
 * (signals on `lane: 'colleague'`), never to the customer's machine.
 */
export class SessionHandover {
  constructor(
    private readonly registry: SessionRegistry,
    private readonly audit: AuditLog,
  ) {
    registry.onColleagueLeft = (session, party) => this.remove(party, session.id);
  }

  /** Runs `op` for `party` on this node's registry (the session's home). */
  run(party: Party, sessionId: string, op: HandoverOp): void {
    if (op.kind === 'remove') return this.remove(party, sessionId);
    if (op.kind === 'answer') {
      if (party.role !== 'customer') throw new RescueError('FORBIDDEN', 'Only the customer lets a colleague in.');
      return this.answer(party, sessionId, op.accept);
    }
    if (party.role !== 'technician') throw new RescueError('FORBIDDEN', 'Only the session\'s technician can do that.');
    if (op.kind === 'transfer') return this.transfer(party.technician, sessionId, op.technicianId, op.note);
    if (op.kind === 'invite') return this.invite(party.technician, sessionId, op.technicianId);
    return this.control(party.technician, sessionId, op.granted);
  }

  /** The other technicians online now. */
  online(me: TechnicianIdentity): TechnicianRef[] {
    return this.registry
      .onlineTechnicians()
      .filter((t) => t.id !== me.id)
      .slice(0, 200)
      .map(refOf);
  }

  transfer(lead: TechnicianIdentity, sessionId: string, technicianId: string, note: string | undefined): void {
    const party: Party = { role: 'technician', technician: lead };
    const session = this.activeOf(party, sessionId);
    if (session.colleague) throw new RescueError('SESSION_BAD_STATE', 'Remove your colleague from the session before transferring it.');
    const to = this.onlineOther(lead, technicianId);
    const customer = session.customerConn;
    if (!customer) throw new RescueError('PEER_NOT_CONNECTED', 'The customer is not connected right now.');
    const text = note?.trim() ?? '';
    this.audit.record(session.id, 'session.transferred', this.registry.actorOf(party), `to ${to.email}${text ? `: ${text}` : ''}`);
    session.log.info({ from: lead.id, to: to.id }, 'session transferred');
    customer.send({
      type: 'session.transferred',
      sessionId,
      technicianName: to.name,
      technicianEmail: to.email,
      previousName: lead.name,
      ...(text ? { note: text } : {}),
    });
    session.technician = to;
    this.registry.persist(session);
    this.registry.connectionOf(lead.id)?.send({ type: 'session.state', sessionId, state: 'closed', reason: 'transferred' });
    this.registry.pushList(lead.id);
    this.registry.pushList(to.id);
    this.registry.sendActivated(session);
  }

  invite(lead: TechnicianIdentity, sessionId: string, technicianId: string): void {
    const party: Party = { role: 'technician', technician: lead };
    const session = this.activeOf(party, sessionId);
    if (session.colleague) throw new RescueError('SESSION_BAD_STATE', `${session.colleague.technician.name} is already in this session.`);
    const colleague = this.onlineOther(lead, technicianId);
    if (!session.customerConn) throw new RescueError('PEER_NOT_CONNECTED', 'The customer is not connected right now.');
    session.colleague = { technician: colleague, state: 'invited', control: false };
    this.audit.record(session.id, 'colleague.invited', this.registry.actorOf(party), colleague.email);
    this.tellAll(session, 'invited');
  }

  /** The customer approves or declines the invited colleague. */
  answer(party: Extract<Party, { role: 'customer' }>, sessionId: string, accept: boolean): void {
    const session = this.registry.own(party, sessionId);
    const colleague = session.colleague;
    if (colleague?.state !== 'invited') throw new RescueError('SESSION_BAD_STATE', 'No colleague is waiting for your answer.');
    const actor = this.registry.actorOf(party);
    if (!accept) {
      session.colleague = null;
      this.audit.record(session.id, 'colleague.declined', actor, colleague.technician.email);
      this.tellAll(session, 'declined', colleague.technician);
      return;
    }
    colleague.state = 'joined';
    this.audit.record(session.id, 'colleague.joined', actor, colleague.technician.email);
    // The colleague's console opens its tab and waits for the lead's console to offer.
    this.registry.connectionOf(colleague.technician.id)?.send({
      type: 'session.activated',
      sessionId,
      role: 'technician',
      polite: false,
      peerName: session.customer?.name ?? 'Customer',
      ice: this.registry.ice(session, 'technician'),
      leadName: session.technician.name,
    });
    this.tellAll(session, 'joined');
  }

  /** The lead hands remote control to the joined colleague, or takes it back. */
  control(lead: TechnicianIdentity, sessionId: string, granted: boolean): void {
    const party: Party = { role: 'technician', technician: lead };
    const session = this.registry.own(party, sessionId);
    const colleague = session.colleague;
    if (colleague?.state !== 'joined') throw new RescueError('SESSION_BAD_STATE', 'No colleague has joined this session.');
    if (colleague.control === granted) return;
    colleague.control = granted;
    this.audit.record(session.id, 'colleague.control', this.registry.actorOf(party), `${granted ? 'handed to' : 'taken back from'} ${colleague.technician.email}`);
    this.tellAll(session, granted ? 'control' : 'control_returned');
  }

  /** The lead or the customer removes the colleague, or the colleague leaves. */
  remove(party: Party, sessionId: string): void {
    const session = this.sessionOf(party, sessionId);
    const colleague = session.colleague;
    if (!colleague) throw new RescueError('SESSION_BAD_STATE', 'No colleague is in this session.');
    session.colleague = null;
    this.audit.record(session.id, 'colleague.removed', this.registry.actorOf(party), colleague.technician.email);
    const conn = this.registry.connectionOf(colleague.technician.id);
    if (colleague.state === 'joined') conn?.send({ type: 'session.state', sessionId, state: 'closed', reason: 'colleague_removed' });
    this.tellAll(session, 'removed', colleague.technician);
  }

  /** The session of its lead, its customer, or the colleague themself. */
  private sessionOf(party: Party, sessionId: string): Session {
    if (party.role === 'technician') {
      const session = this.registry.get(sessionId);
      if (session?.colleague?.technician.id === party.technician.id) return session;
    }
    return this.registry.own(party, sessionId);
  }

  private activeOf(party: Party, sessionId: string): Session {
    const session = this.registry.own(party, sessionId);
    if (session.lifecycle.state !== 'active') throw new RescueError('SESSION_BAD_STATE', `The session is ${session.lifecycle.state}, not active.`);
    return session;
  }

  private onlineOther(me: TechnicianIdentity, technicianId: string): TechnicianIdentity {
    const to = technicianId === me.id ? undefined : this.registry.onlineTechnicians().find((t) => t.id === technicianId);
    if (!to) throw new RescueError('TECHNICIAN_NOT_ONLINE');
    return to;
  }

  /** Tells the customer, the lead and the colleague where the colleague stands. */
  private tellAll(session: Session, state: ColleagueState, who?: TechnicianIdentity): void {
    const colleague = who ?? session.colleague?.technician;
    if (!colleague) return;
    const msg: ServerMessage = { type: 'colleague.state', sessionId: session.id, state, colleague: refOf(colleague), leadName: session.technician.name };
    session.customerConn?.send(msg);
    this.registry.connectionOf(session.technician.id)?.send(msg);
    this.registry.connectionOf(colleague.id)?.send(msg);
  }
}
