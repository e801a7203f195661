import type { SessionCursor, SessionFilter } from './types.ts';

/** How SQLite and PostgreSQL differ in the audit search's SQL. */
export interface SearchDialect {
  /** The n-th (1-based) parameter's placeholder. */
  param(n: number): string;
  /** Technician email equal to a parameter, without regard to case (each has an index for it). */
  emailEquals(param: string): string;
  /** A column matching a LIKE pattern parameter without regard to case, with backslash escapes. */
  like(column: string, param: string): string;
}

export const SQLITE_DIALECT: SearchDialect = {
  param: () => '?',
  emailEquals: (p) => `s.technician_email = ${p} COLLATE NOCASE`,
  like: (column, p) => `${column} LIKE ${p} ESCAPE '\\'`,
};

export const POSTGRES_DIALECT: SearchDialect = {
  param: (n) => `$${n}`,
  emailEquals: (p) => `lower(s.technician_email) = lower(${p})`,
  like: (column, p) => `${column} ILIKE ${p} ESCAPE '\\'`,
};

/** `%text%` for LIKE, with the wildcards in the text taken literally. */
const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The SQL of one page of the audit search, newest first by (created_at, id):
 * keyset paging (`before`), a scan floor, the filters; `position` selects only
 * the order columns (from the index). The last parameter, LIMIT, is left for
 * the caller to append (and OFFSET after it for `position`).
 */
export function searchSql(
  dialect: SearchDialect,
  filter: SessionFilter,
  before: SessionCursor | null,
  floor: SessionCursor | null,
  select: 'rows' | 'position',
): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const p = (value: string | number): string => {
    params.push(value);
    return dialect.param(params.length);
  };
  if (filter.technician) where.push(dialect.emailEquals(p(filter.technician.trim())));
  if (filter.from !== undefined) where.push(`s.created_at >= ${p(filter.from)}`);
  if (filter.to !== undefined) where.push(`s.created_at < ${p(filter.to)}`);
  // Row values, so the database seeks the index to the cursor instead of filtering.
  if (before) where.push(`(s.created_at, s.id) < (${p(before.createdAt)}, ${p(before.id)})`);
  if (floor) where.push(`(s.created_at, s.id) >= (${p(floor.createdAt)}, ${p(floor.id)})`);
  const text = filter.q?.trim();
  if (text) {
    const like = likePattern(text);
    const l = (column: string): string => dialect.like(column, p(like));
    where.push(`(${l('s.id')} OR ${l('s.technician_email')} OR ${l('s.customer_address')} OR ${l('s.end_reason')}
      OR EXISTS (SELECT 1 FROM audit_events e WHERE e.session_id = s.id
        AND (${l('e.detail')} OR ${l('e.actor_label')} OR ${l('e.event')})))`);
  }
  const columns = select === 'position' ? 's.created_at, s.id' : 's.*, (SELECT COUNT(*) FROM audit_events c WHERE c.session_id = s.id) AS event_count';
  const limit = dialect.param(params.length + 1);
  const sql = `SELECT ${columns} FROM sessions s ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.created_at DESC, s.id DESC LIMIT ${limit}`;
  return { sql, params };
}
