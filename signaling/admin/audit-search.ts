import { RescueError, type AdminSession, type SessionPage, type SessionQuery } from '../../protocol/index.ts';
import { toSession, type SessionRow } from '../audit-log.ts';
import type { Db } from '../db.ts';

/** A position in the newest-first order: the last row of a page. */
interface Cursor {
  createdAt: number;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return `${cursor.createdAt}~${cursor.id}`;
}

export function decodeCursor(text: string): Cursor {
  const match = /^(\d{1,15})~([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (!match?.[1] || !match[2]) throw new RescueError('INVALID_MESSAGE', 'Not a page cursor.');
  return { createdAt: Number(match[1]), id: match[2] };
}

/** `%text%` for LIKE, with the wildcards in the text taken literally. */
const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

type Row = SessionRow & { event_count: number };

/** Sessions one text search request examines at most (~0.1 s on the 2-core test machine; bench/admin-audit.ts). */
export const TEXT_SCAN_WINDOW = 10_000;

/**
 * The audit trail's session search for the administration page and the CLI:
 * newest first, filtered by technician, date range and text, paged by keyset
 * (created_at, id) so page 1,000 costs what page 1 does. The order and the
 * technician filter each have an index (migration 2 in db.ts); the text
 * matches the session's id, technician, customer address and end reason, and
 * any of its events' details and actors.
 */
export class AuditSearch {
  constructor(private readonly db: Db) {}

  page(query: SessionQuery): SessionPage {
    const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const floor = this.scanFloor(query, cursor);
    const rows = this.rows(query, cursor, floor, query.limit + 1);
    const more = rows.length > query.limit;
    const sessions = rows.slice(0, query.limit).map(toAdminSession);
    const last = sessions[sessions.length - 1];
    if (more && last) return { sessions, next: encodeCursor(last), searchedBackTo: null };
    // A text search that stopped at its scan window goes on from there on the next page.
    if (floor) return { sessions, next: encodeCursor(floor), searchedBackTo: floor.createdAt };
    return { sessions, next: null, searchedBackTo: null };
  }

  byId(id: string): AdminSession | undefined {
    const row = this.db.prepare(`SELECT s.*, (SELECT COUNT(*) FROM audit_events c WHERE c.session_id = s.id) AS event_count FROM sessions s WHERE s.id = ?`).get(id) as Row | undefined;
    return row ? toAdminSession(row) : undefined;
  }

  /** Every matching session, newest first, in batches (the CSV export walks these). */
  *batches(query: Omit<SessionQuery, 'cursor' | 'limit'>, size = 500): Generator<AdminSession[]> {
    let cursor: string | undefined;
    for (;;) {
      const page = this.page({ ...query, limit: size, ...(cursor === undefined ? {} : { cursor }) });
      if (page.sessions.length > 0) yield page.sessions;
      if (page.next === null) return;
      cursor = page.next;
    }
  }

  /**
   * Text is matched by scanning (see docs/decisions.md: an FTS5 index made
   * every audit write 9x dearer), so one request examines at most
   * `TEXT_SCAN_WINDOW` sessions: the oldest of them, if there are more, is
   * where the scan stops and the next page resumes. Without text the page
   * reads only the index range it returns.
   */
  private scanFloor(query: SessionQuery, cursor: Cursor | null): Cursor | null {
    if (!query.q?.trim()) return null;
    const { sql, params } = this.sql({ ...query, q: undefined }, cursor, null, 'position');
    const row = this.db.prepare(`${sql} OFFSET ?`).get(...params, 1, TEXT_SCAN_WINDOW - 1) as { created_at: number; id: string } | undefined;
    return row ? { createdAt: row.created_at, id: row.id } : null;
  }

  /** The SQL of a page (`position` selects only the order columns, from the index); exposed for EXPLAIN QUERY PLAN in tests. */
  sql(query: SessionQuery, cursor: Cursor | null, floor: Cursor | null = null, select: 'rows' | 'position' = 'rows'): { sql: string; params: (string | number)[] } {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.technician) {
      where.push('s.technician_email = ? COLLATE NOCASE');
      params.push(query.technician.trim());
    }
    if (query.from !== undefined) {
      where.push('s.created_at >= ?');
      params.push(query.from);
    }
    if (query.to !== undefined) {
      where.push('s.created_at < ?');
      params.push(query.to);
    }
    if (cursor) {
      // A row value, so SQLite seeks the index to the cursor instead of filtering.
      where.push('(s.created_at, s.id) < (?, ?)');
      params.push(cursor.createdAt, cursor.id);
    }
    if (floor) {
      where.push('(s.created_at, s.id) >= (?, ?)');
      params.push(floor.createdAt, floor.id);
    }
    const text = query.q?.trim();
    if (text) {
      const like = likePattern(text);
      where.push(`(s.id LIKE ? ESCAPE '\\' OR s.technician_email LIKE ? ESCAPE '\\' OR s.customer_address LIKE ? ESCAPE '\\' OR s.end_reason LIKE ? ESCAPE '\\'
        OR EXISTS (SELECT 1 FROM audit_events e WHERE e.session_id = s.id
          AND (e.detail LIKE ? ESCAPE '\\' OR e.actor_label LIKE ? ESCAPE '\\' OR e.event LIKE ? ESCAPE '\\')))`);
      params.push(like, like, like, like, like, like, like);
    }
    const columns = select === 'position' ? 's.created_at, s.id' : 's.*, (SELECT COUNT(*) FROM audit_events c WHERE c.session_id = s.id) AS event_count';
    const sql = `SELECT ${columns} FROM sessions s ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.created_at DESC, s.id DESC LIMIT ?`;
    return { sql, params };
  }

  private rows(query: SessionQuery, cursor: Cursor | null, floor: Cursor | null, limit: number): Row[] {
    const { sql, params } = this.sql(query, cursor, floor);
    return this.db.prepare(sql).all(...params, limit) as Row[];
  }
}

function toAdminSession(row: Row): AdminSession {
  const session = toSession(row);
  const from = session.startedAt ?? session.createdAt;
  return {
    id: session.id,
    kind: session.kind,
    technicianId: session.technicianId,
    technicianEmail: session.technicianEmail,
    customerAddress: session.customerAddress,
    createdAt: session.createdAt,
    startedAt: session.startedAt,
    endedAt: session.endedAt,
    durationMs: session.endedAt === null ? null : Math.max(0, session.endedAt - from),
    endReason: session.endReason,
    eventCount: row.event_count,
  };
}
