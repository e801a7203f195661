import { RescueError, type AdminSession, type SessionPage, type SessionQuery } from '../../protocol/index.ts';
import type { AuditSearchRows, SessionCursor as Cursor, SessionSearchRow } from '../store/types.ts';

export function encodeCursor(cursor: Cursor): string {
  return `${cursor.createdAt}~${cursor.id}`;
}

export function decodeCursor(text: string): Cursor {
  const match = /^(\d{1,15})~([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (!match?.[1] || !match[2]) throw new RescueError('INVALID_MESSAGE', 'Not a page cursor.');
  return { createdAt: Number(match[1]), id: match[2] };
}

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
  constructor(private readonly rows: AuditSearchRows) {}

  async page(query: SessionQuery): Promise<SessionPage> {
    const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const floor = await this.scanFloor(query, cursor);
    const rows = await this.rows.rows(query, cursor, floor, query.limit + 1);
    const more = rows.length > query.limit;
    const sessions = rows.slice(0, query.limit).map(toAdminSession);
    const last = sessions[sessions.length - 1];
    if (more && last) return { sessions, next: encodeCursor(last), searchedBackTo: null };
    // A text search that stopped at its scan window goes on from there on the next page.
    if (floor) return { sessions, next: encodeCursor(floor), searchedBackTo: floor.createdAt };
    return { sessions, next: null, searchedBackTo: null };
  }

  async byId(id: string): Promise<AdminSession | undefined> {
    const row = await this.rows.byId(id);
    return row ? toAdminSession(row) : undefined;
  }

  /** Every matching session, newest first, in batches (the CSV export walks these). */
  async *batches(query: Omit<SessionQuery, 'cursor' | 'limit'>, size = 500): AsyncGenerator<AdminSession[]> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.page({ ...query, limit: size, ...(cursor === undefined ? {} : { cursor }) });
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
  private async scanFloor(query: SessionQuery, cursor: Cursor | null): Promise<Cursor | null> {
    if (!query.q?.trim()) return null;
    return (await this.rows.position({ ...query, q: undefined }, cursor, TEXT_SCAN_WINDOW - 1)) ?? null;
  }
}

function toAdminSession(session: SessionSearchRow): AdminSession {
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
    eventCount: session.eventCount,
  };
}
