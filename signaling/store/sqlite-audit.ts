import type { AuditEvent } from '../../protocol/index.ts';
import type { Db } from '../db.ts';
import { SQLITE_DIALECT, searchSql } from './search-sql.ts';
import { toAction, toEvent, toSearchRow, toSession, type ActionColumns, type EventColumns, type SessionColumns } from './session-rows.ts';
import type {
  ActionRow,
  ActionRows,
  AuditActorRow,
  AuditRecord,
  AuditRows,
  AuditSearchRows,
  LiveSessionRows,
  SessionCursor,
  SessionFilter,
  SessionRecord,
  SessionSearchRow,
} from './types.ts';

/**
 * The audit trail in SQLite. Writes run at once, on statements prepared once
 * (preparing per call was 3% of the server's CPU under the signaling load
 * bench; docs/performance.md): the audit insert is the bench's costliest stage.
 */
export class SqliteAudit implements AuditRows {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      open: db.prepare('INSERT INTO sessions (id, kind, technician_id, technician_email, created_at, force_relay) VALUES (?, ?, ?, ?, ?, ?)'),
      close: db.prepare('UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL'),
      event: db.prepare('INSERT INTO audit_events (session_id, at, event, actor_kind, actor_id, actor_label, detail) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      started: db.prepare('UPDATE sessions SET started_at = ? WHERE id = ? AND started_at IS NULL'),
      customer: db.prepare('UPDATE sessions SET customer_address = ? WHERE id = ?'),
      session: db.prepare('SELECT * FROM sessions WHERE id = ?'),
      events: db.prepare('SELECT * FROM audit_events WHERE session_id = ? ORDER BY id LIMIT ?'),
      all: db.prepare('SELECT * FROM sessions ORDER BY created_at DESC LIMIT ?'),
      mine: db.prepare('SELECT * FROM sessions WHERE technician_id = ? ORDER BY created_at DESC LIMIT ?'),
      open_: db.prepare("SELECT id FROM sessions WHERE ended_at IS NULL AND kind = 'pin'"),
    };
    this.db = db;
  }

  private readonly db: Db;

  openSession(input: { id: string; kind: string; technicianId: string | null; technicianEmail: string; createdAt: number; forceRelay: boolean }): void {
    this.s.open.run(input.id, input.kind, input.technicianId, input.technicianEmail, input.createdAt, input.forceRelay ? 1 : 0);
  }

  closeSession(id: string, at: number, reason: string): void {
    this.s.close.run(at, reason, id);
  }

  event(sessionId: string, at: number, event: AuditEvent, actor: AuditActorRow, detail: string): void {
    this.s.event.run(sessionId, at, event, actor.kind, actor.id, actor.label, detail);
  }

  markStarted(id: string, at: number): void {
    this.s.started.run(at, id);
  }

  setCustomer(id: string, address: string): void {
    this.s.customer.run(address, id);
  }

  async flush(): Promise<void> {}

  async session(id: string): Promise<SessionRecord | undefined> {
    const row = this.s.session.get(id) as SessionColumns | undefined;
    return row ? toSession(row) : undefined;
  }

  async events(sessionId: string, limit: number): Promise<AuditRecord[]> {
    return (this.s.events.all(sessionId, limit) as EventColumns[]).map(toEvent);
  }

  async eventsOf(sessionIds: readonly string[]): Promise<AuditRecord[]> {
    if (sessionIds.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT * FROM audit_events WHERE session_id IN (${sessionIds.map(() => '?').join(',')}) ORDER BY session_id, id`)
      .all(...sessionIds) as EventColumns[];
    return rows.map(toEvent);
  }

  async sessions(technicianId: string | null, limit: number): Promise<SessionRecord[]> {
    const rows = (technicianId === null ? this.s.all.all(limit) : this.s.mine.all(technicianId, limit)) as SessionColumns[];
    return rows.map(toSession);
  }

  async openPinSessions(): Promise<string[]> {
    return (this.s.open_.all() as { id: string }[]).map((r) => r.id);
  }
}

/** The administration page's session search in SQLite (the order and the technician filter have indexes: migration 3 in db.ts). */
export class SqliteAuditSearch implements AuditSearchRows {
  constructor(private readonly db: Db) {}

  /** The SQL of a page, for EXPLAIN QUERY PLAN in tests. */
  sql(filter: SessionFilter, before: SessionCursor | null, floor: SessionCursor | null = null, select: 'rows' | 'position' = 'rows'): { sql: string; params: (string | number)[] } {
    return searchSql(SQLITE_DIALECT, filter, before, floor, select);
  }

  async rows(filter: SessionFilter, before: SessionCursor | null, floor: SessionCursor | null, limit: number): Promise<SessionSearchRow[]> {
    const { sql, params } = this.sql(filter, before, floor);
    return (this.db.prepare(sql).all(...params, limit) as (SessionColumns & { event_count: number })[]).map(toSearchRow);
  }

  async position(filter: SessionFilter, before: SessionCursor | null, offset: number): Promise<SessionCursor | undefined> {
    const { sql, params } = this.sql(filter, before, null, 'position');
    const row = this.db.prepare(`${sql} OFFSET ?`).get(...params, 1, offset) as { created_at: number; id: string } | undefined;
    return row ? { createdAt: row.created_at, id: row.id } : undefined;
  }

  async byId(id: string): Promise<SessionSearchRow | undefined> {
    const row = this.db.prepare('SELECT s.*, (SELECT COUNT(*) FROM audit_events c WHERE c.session_id = s.id) AS event_count FROM sessions s WHERE s.id = ?').get(id) as
      | (SessionColumns & { event_count: number })
      | undefined;
    return row ? toSearchRow(row) : undefined;
  }
}

export class SqliteActions implements ActionRows {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare('INSERT INTO admin_actions (at, actor_kind, actor_id, actor_label, action, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      before: db.prepare('SELECT * FROM admin_actions WHERE id < ? ORDER BY id DESC LIMIT ?'),
    };
  }

  async insert(row: Omit<ActionRow, 'id'>): Promise<void> {
    this.s.insert.run(row.at, row.actorKind, row.actorId, row.actorLabel, row.action, row.target, row.detail);
  }

  async before(before: number, limit: number): Promise<ActionRow[]> {
    return (this.s.before.all(before, limit) as ActionColumns[]).map(toAction);
  }
}

/** The live PIN sessions (signaling/live-sessions.ts), in their own table. */
export class SqliteLiveSessions implements LiveSessionRows {
  private readonly s;

  constructor(db: Db) {
    db.exec('CREATE TABLE IF NOT EXISTS live_sessions (id TEXT PRIMARY KEY, record TEXT NOT NULL)');
    this.s = {
      save: db.prepare('INSERT INTO live_sessions (id, record) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record'),
      forget: db.prepare('DELETE FROM live_sessions WHERE id = ?'),
      all: db.prepare('SELECT id, record FROM live_sessions'),
    };
  }

  save(id: string, record: string): void {
    this.s.save.run(id, record);
  }

  forget(id: string): void {
    this.s.forget.run(id);
  }

  async all(): Promise<{ id: string; record: string }[]> {
    return this.s.all.all() as { id: string; record: string }[];
  }
}
