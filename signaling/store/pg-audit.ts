import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../../protocol/index.ts';
import type { PgLink } from './pg-link.ts';
import { POSTGRES_DIALECT, searchSql } from './search-sql.ts';
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
 * The audit trail in PostgreSQL. Writes go into the link's ordered queue
 * (signaling/store/pg-link.ts), so signaling never waits for the database
 * and an outage delays the trail instead of losing it; reads wait for the
 * writes made before them.
 */
export class PgAudit implements AuditRows {
  constructor(private readonly pg: PgLink) {}

  openSession(input: { id: string; kind: string; technicianId: string | null; technicianEmail: string; createdAt: number; forceRelay: boolean }): void {
    this.pg.write('INSERT INTO sessions (id, kind, technician_id, technician_email, created_at, force_relay) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING', [
      input.id,
      input.kind,
      input.technicianId,
      input.technicianEmail,
      input.createdAt,
      input.forceRelay,
    ]);
  }

  closeSession(id: string, at: number, reason: string): void {
    this.pg.write('UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL', [at, reason, id]);
  }

  /**
   * The write carries its key (random unless given): a batch whose COMMIT
   * was stored but whose reply was lost is retried, and the retry's rows
   * meet the key and are skipped, so each event is stored once.
   */
  event(sessionId: string, at: number, event: AuditEvent, actor: AuditActorRow, detail: string, key: string = randomUUID()): void {
    this.pg.write(
      'INSERT INTO audit_events (session_id, at, event, actor_kind, actor_id, actor_label, detail, write_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (write_key) DO NOTHING',
      [sessionId, at, event, actor.kind, actor.id, actor.label, detail, key],
    );
  }

  markStarted(id: string, at: number): void {
    this.pg.write('UPDATE sessions SET started_at = $1 WHERE id = $2 AND started_at IS NULL', [at, id]);
  }

  setCustomer(id: string, address: string): void {
    this.pg.write('UPDATE sessions SET customer_address = $1 WHERE id = $2', [address, id]);
  }

  flush(): Promise<void> {
    return this.pg.flush();
  }

  async session(id: string): Promise<SessionRecord | undefined> {
    const row = (await this.pg.query<SessionColumns>('SELECT * FROM sessions WHERE id = $1', [id])).rows[0];
    return row ? toSession(row) : undefined;
  }

  async events(sessionId: string, limit: number): Promise<AuditRecord[]> {
    return (await this.pg.query<EventColumns>('SELECT * FROM audit_events WHERE session_id = $1 ORDER BY id LIMIT $2', [sessionId, limit])).rows.map(toEvent);
  }

  async eventsOf(sessionIds: readonly string[]): Promise<AuditRecord[]> {
    if (sessionIds.length === 0) return [];
    const rows = await this.pg.query<EventColumns>('SELECT * FROM audit_events WHERE session_id = ANY($1::text[]) ORDER BY session_id, id', [[...sessionIds]]);
    return rows.rows.map(toEvent);
  }

  async sessions(technicianId: string | null, limit: number): Promise<SessionRecord[]> {
    const result =
      technicianId === null
        ? await this.pg.query<SessionColumns>('SELECT * FROM sessions ORDER BY created_at DESC LIMIT $1', [limit])
        : await this.pg.query<SessionColumns>('SELECT * FROM sessions WHERE technician_id = $1 ORDER BY created_at DESC LIMIT $2', [technicianId, limit]);
    return result.rows.map(toSession);
  }

  async openPinSessions(): Promise<string[]> {
    return (await this.pg.query<{ id: string }>("SELECT id FROM sessions WHERE ended_at IS NULL AND kind = 'pin'")).rows.map((r) => r.id);
  }
}

/** The administration page's session search in PostgreSQL (same SQL as SQLite's, in its dialect: signaling/store/search-sql.ts). */
export class PgAuditSearch implements AuditSearchRows {
  constructor(private readonly pg: PgLink) {}

  async rows(filter: SessionFilter, before: SessionCursor | null, floor: SessionCursor | null, limit: number): Promise<SessionSearchRow[]> {
    await this.pg.flush();
    const { sql, params } = searchSql(POSTGRES_DIALECT, filter, before, floor, 'rows');
    return (await this.pg.query<SessionColumns & { event_count: number }>(sql, [...params, limit])).rows.map(toSearchRow);
  }

  async position(filter: SessionFilter, before: SessionCursor | null, offset: number): Promise<SessionCursor | undefined> {
    await this.pg.flush();
    const { sql, params } = searchSql(POSTGRES_DIALECT, filter, before, null, 'position');
    const row = (await this.pg.query<{ created_at: number; id: string }>(`${sql} OFFSET $${params.length + 2}`, [...params, 1, offset])).rows[0];
    return row ? { createdAt: row.created_at, id: row.id } : undefined;
  }

  async byId(id: string): Promise<SessionSearchRow | undefined> {
    await this.pg.flush();
    const row = (
      await this.pg.query<SessionColumns & { event_count: number }>(
        'SELECT s.*, (SELECT COUNT(*) FROM audit_events c WHERE c.session_id = s.id) AS event_count FROM sessions s WHERE s.id = $1',
        [id],
      )
    ).rows[0];
    return row ? toSearchRow(row) : undefined;
  }
}

export class PgActions implements ActionRows {
  constructor(private readonly pg: PgLink) {}

  async insert(row: Omit<ActionRow, 'id'>): Promise<void> {
    await this.pg.query('INSERT INTO admin_actions (at, actor_kind, actor_id, actor_label, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      row.at,
      row.actorKind,
      row.actorId,
      row.actorLabel,
      row.action,
      row.target,
      row.detail,
    ]);
  }

  async before(before: number, limit: number): Promise<ActionRow[]> {
    return (await this.pg.query<ActionColumns>('SELECT * FROM admin_actions WHERE id < $1 ORDER BY id DESC LIMIT $2', [before, limit])).rows.map(toAction);
  }
}

export class PgLiveSessions implements LiveSessionRows {
  constructor(private readonly pg: PgLink) {}

  save(id: string, record: string): void {
    this.pg.write('INSERT INTO live_sessions (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = excluded.record', [id, record]);
  }

  forget(id: string): void {
    this.pg.write('DELETE FROM live_sessions WHERE id = $1', [id]);
  }

  async all(): Promise<{ id: string; record: string }[]> {
    await this.pg.flush();
    return (await this.pg.query<{ id: string; record: string }>('SELECT id, record FROM live_sessions')).rows;
  }
}
