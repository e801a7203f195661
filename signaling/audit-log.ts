import type { AuditEvent } from '../protocol/index.ts';
import type { Db } from './db.ts';

/** Who did something: a technician (id + email), the customer, or the server. */
export type AuditActor =
  | { kind: 'technician'; id: string; label: string }
  | { kind: 'customer'; label?: string }
  | { kind: 'server' };

export interface AuditRecord {
  id: number;
  sessionId: string;
  at: number;
  event: AuditEvent;
  actor: { kind: AuditActor['kind']; id: string | null; label: string };
  detail: string;
}

export interface SessionRecord {
  id: string;
  kind: string;
  technicianId: string | null;
  technicianEmail: string;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  endReason: string | null;
  forceRelay: boolean;
  customerAddress: string | null;
}

interface EventRow {
  id: number;
  session_id: string;
  at: number;
  event: AuditEvent;
  actor_kind: AuditActor['kind'];
  actor_id: string | null;
  actor_label: string;
  detail: string;
}

export interface SessionRow {
  id: string;
  kind: string;
  technician_id: string | null;
  technician_email: string;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  end_reason: string | null;
  force_relay: number;
  customer_address: string | null;
}

export const toSession = (row: SessionRow): SessionRecord => ({
  id: row.id,
  kind: row.kind,
  technicianId: row.technician_id,
  technicianEmail: row.technician_email,
  createdAt: row.created_at,
  startedAt: row.started_at,
  endedAt: row.ended_at,
  endReason: row.end_reason,
  forceRelay: row.force_relay === 1,
  customerAddress: row.customer_address,
});

const toRecord = (row: EventRow): AuditRecord => ({
  id: row.id,
  sessionId: row.session_id,
  at: row.at,
  event: row.event,
  actor: { kind: row.actor_kind, id: row.actor_id, label: row.actor_label },
  detail: row.detail,
});

/**
 * The audit log: one row per session (who ran it) and its events, kept after
 * the session ends. Readable by the session's technician and by admins only
 * (`canRead`). Ad hoc sessions use the same tables with kind 'adhoc'.
 */
export class AuditLog {
  // The statements every session runs, prepared once (preparing per call was
  // 3% of the server's CPU under the signaling load bench; docs/performance.md).
  private readonly insertSession;
  private readonly endSession;
  private readonly insertEvent;
  private readonly markStarted;
  private readonly setCustomer;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {
    this.insertSession = db.prepare(
      'INSERT INTO sessions (id, kind, technician_id, technician_email, created_at, force_relay) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.endSession = db.prepare('UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL');
    this.insertEvent = db.prepare(
      'INSERT INTO audit_events (session_id, at, event, actor_kind, actor_id, actor_label, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.markStarted = db.prepare('UPDATE sessions SET started_at = ? WHERE id = ? AND started_at IS NULL');
    this.setCustomer = db.prepare('UPDATE sessions SET customer_address = ? WHERE id = ?');
  }

  openSession(input: { id: string; kind?: string; technicianId: string; technicianEmail: string; forceRelay: boolean }): void {
    this.insertSession.run(input.id, input.kind ?? 'pin', input.technicianId, input.technicianEmail, this.now(), input.forceRelay ? 1 : 0);
  }

  closeSession(id: string, reason: string): void {
    this.endSession.run(this.now(), reason, id);
  }

  record(sessionId: string, event: AuditEvent, actor: AuditActor, detail = ''): void {
    const actorId = actor.kind === 'technician' ? actor.id : null;
    const label = actor.kind === 'technician' ? actor.label : actor.kind === 'customer' ? (actor.label ?? 'customer') : 'server';
    const at = this.now();
    this.insertEvent.run(sessionId, at, event, actor.kind, actorId, label, detail.slice(0, 1000));
    // The start of the support itself (not of the code) is what the audit trail's duration counts from.
    if (event === 'session.activated' || event === 'adhoc.connected') this.markStarted.run(at, sessionId);
  }

  /** The customer entered the session's code: the event, and the address kept on the session for the audit search. */
  customerJoined(sessionId: string, client: string, address: string): void {
    this.record(sessionId, 'code.entered', { kind: 'customer' }, `client=${client} address=${address}`);
    this.setCustomer.run(address.slice(0, 64), sessionId);
  }

  getSession(id: string): SessionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRow | undefined;
    return row ? toSession(row) : undefined;
  }

  /** Whether the account may read the session's audit trail: its technician or an admin. */
  canRead(session: SessionRecord, reader: { id: string; isAdmin: boolean }): boolean {
    return reader.isAdmin || session.technicianId === reader.id;
  }

  events(sessionId: string, limit = 5000): AuditRecord[] {
    const rows = this.db.prepare('SELECT * FROM audit_events WHERE session_id = ? ORDER BY id LIMIT ?').all(sessionId, limit) as EventRow[];
    return rows.map(toRecord);
  }

  /** The events of several sessions in one indexed query (the CSV export reads them a batch at a time). */
  eventsOf(sessionIds: readonly string[]): Map<string, AuditRecord[]> {
    const bySession = new Map<string, AuditRecord[]>(sessionIds.map((id) => [id, []]));
    if (sessionIds.length === 0) return bySession;
    const rows = this.db
      .prepare(`SELECT * FROM audit_events WHERE session_id IN (${sessionIds.map(() => '?').join(',')}) ORDER BY session_id, id`)
      .all(...sessionIds) as EventRow[];
    for (const row of rows) bySession.get(row.session_id)?.push(toRecord(row));
    return bySession;
  }

  /** Sessions the reader may see, newest first: their own, or all for an admin. */
  sessionsFor(reader: { id: string; isAdmin: boolean }, limit = 200): SessionRecord[] {
    const rows = reader.isAdmin
      ? (this.db.prepare('SELECT * FROM sessions ORDER BY created_at DESC LIMIT ?').all(limit) as SessionRow[])
      : (this.db.prepare('SELECT * FROM sessions WHERE technician_id = ? ORDER BY created_at DESC LIMIT ?').all(reader.id, limit) as SessionRow[]);
    return rows.map(toSession);
  }

  /**
   * Ends the PIN sessions a crash or `kill -9` left open (called at start-up,
   * reason `server_restart`): each gets its `session.ended` event, as a session
   * ended any other way does. Sessions in `keep` were restored
   * (signaling/restore-sessions.ts); ad hoc sessions live on in their own
   * table and are left alone.
   * Returns how many were ended.
   */
  closeDangling(reason: string, keep: ReadonlySet<string> = new Set()): number {
    const open = (this.db.prepare("SELECT id FROM sessions WHERE ended_at IS NULL AND kind = 'pin'").all() as { id: string }[]).filter(({ id }) => !keep.has(id));
    this.db.transaction(() => {
      for (const { id } of open) {
        this.record(id, 'session.ended', { kind: 'server' }, reason);
        this.closeSession(id, reason);
      }
    })();
    return open.length;
  }
}
