import type { AuditEvent } from '../protocol/index.ts';
import type { AuditRecord, AuditRows, SessionRecord } from './store/types.ts';

export type { AuditRecord, SessionRecord } from './store/types.ts';

/** Who did something: a technician (id + email), the customer, or the server. */
export type AuditActor =
  | { kind: 'technician'; id: string; label: string }
  | { kind: 'customer'; label?: string }
  | { kind: 'server' };

/**
 * The audit log: one row per session (who ran it) and its events, kept after
 * the session ends. Readable by the session's technician and by admins only
 * (`canRead`). Ad hoc sessions use the same tables with kind 'adhoc'. Writes
 * are ordered commands that return nothing (signaling/store/types.ts); reads
 * see every write made before them.
 */
export class AuditLog {
  constructor(
    private readonly rows: AuditRows,
    private readonly now: () => number,
  ) {}

  openSession(input: { id: string; kind?: string; technicianId: string; technicianEmail: string; forceRelay: boolean }): void {
    this.rows.openSession({ id: input.id, kind: input.kind ?? 'pin', technicianId: input.technicianId, technicianEmail: input.technicianEmail, createdAt: this.now(), forceRelay: input.forceRelay });
  }

  closeSession(id: string, reason: string): void {
    this.rows.closeSession(id, this.now(), reason);
  }

  /** `key`: a caller that may write the same event twice (two nodes) names it, and it is stored once. */
  record(sessionId: string, event: AuditEvent, actor: AuditActor, detail = '', key?: string): void {
    const actorId = actor.kind === 'technician' ? actor.id : null;
    const label = actor.kind === 'technician' ? actor.label : actor.kind === 'customer' ? (actor.label ?? 'customer') : 'server';
    const at = this.now();
    this.rows.event(sessionId, at, event, { kind: actor.kind, id: actorId, label }, detail.slice(0, 1000), key);
    // The start of the support itself (not of the code) is what the audit trail's duration counts from.
    if (event === 'session.activated' || event === 'adhoc.connected') this.rows.markStarted(sessionId, at);
  }

  /** The customer entered the session's code: the event, and the address kept on the session for the audit search. */
  customerJoined(sessionId: string, client: string, address: string): void {
    this.record(sessionId, 'code.entered', { kind: 'customer' }, `client=${client} address=${address}`);
    this.rows.setCustomer(sessionId, address.slice(0, 64));
  }

  /** Resolves once every write made so far is stored. */
  flush(): Promise<void> {
    return this.rows.flush();
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    await this.rows.flush();
    return this.rows.session(id);
  }

  /** Whether the account may read the session's audit trail: its technician or an admin. */
  canRead(session: SessionRecord, reader: { id: string; isAdmin: boolean }): boolean {
    return reader.isAdmin || session.technicianId === reader.id;
  }

  async events(sessionId: string, limit = 5000): Promise<AuditRecord[]> {
    await this.rows.flush();
    return this.rows.events(sessionId, limit);
  }

  /** The events of several sessions in one indexed query (the CSV export reads them a batch at a time). */
  async eventsOf(sessionIds: readonly string[]): Promise<Map<string, AuditRecord[]>> {
    const bySession = new Map<string, AuditRecord[]>(sessionIds.map((id) => [id, []]));
    await this.rows.flush();
    for (const record of await this.rows.eventsOf(sessionIds)) bySession.get(record.sessionId)?.push(record);
    return bySession;
  }

  /** Sessions the reader may see, newest first: their own, or all for an admin. */
  async sessionsFor(reader: { id: string; isAdmin: boolean }, limit = 200): Promise<SessionRecord[]> {
    await this.rows.flush();
    return this.rows.sessions(reader.isAdmin ? null : reader.id, limit);
  }

  /**
   * Ends the PIN sessions a crash or `kill -9` left open (called at start-up,
   * reason `server_restart`): each gets its `session.ended` event, as a session
   * ended any other way does. Sessions in `keep` were restored
   * (signaling/restore-sessions.ts); ad hoc sessions live on in their own
   * table and are left alone.
   * Returns how many were ended.
   */
  async closeDangling(reason: string, keep: ReadonlySet<string> = new Set()): Promise<number> {
    await this.rows.flush();
    const open = (await this.rows.openPinSessions()).filter((id) => !keep.has(id));
    for (const id of open) {
      this.record(id, 'session.ended', { kind: 'server' }, reason);
      this.closeSession(id, reason);
    }
    await this.rows.flush();
    return open.length;
  }
}
