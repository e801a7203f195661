import fs from 'node:fs';
import { openDatabase, type Db } from '../db.ts';
import type { Logger } from '../logger.ts';
import { PgLink } from './pg-link.ts';
import { migratePostgres } from './pg-schema.ts';

/** The tables copied, parents before children, with the SQLite columns that hold 0/1 for PostgreSQL booleans. */
const TABLES: readonly { name: string; booleans?: readonly string[]; identity?: boolean }[] = [
  { name: 'accounts', booleans: ['is_admin', 'disabled'] },
  { name: 'settings' },
  { name: 'login_sessions' },
  { name: 'login_addresses' },
  { name: 'two_factor' },
  { name: 'recovery_codes' },
  { name: 'sessions', booleans: ['force_relay'] },
  { name: 'audit_events', identity: true },
  { name: 'admin_actions', identity: true },
  { name: 'live_sessions' },
  { name: 'adhoc_sessions' },
];

/** The tables a target must have empty before a copy. */
const MUST_BE_EMPTY = ['accounts', 'sessions', 'audit_events', 'admin_actions', 'settings', 'adhoc_sessions'] as const;

const ROWS_PER_INSERT = 500;

/** Thrown for a problem the operator fixes (missing file, a target that holds data): printed as is. */
export class MigrationRefused extends Error {}

export interface MigrationReport {
  /** Rows copied per table. */
  copied: Record<string, number>;
}

function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/**
 * Copies an existing SQLite database (accounts, logins, settings, two-factor,
 * the audit trail, the admin log, live sessions, ad hoc pairings) into an empty PostgreSQL
 * database in one transaction, after applying the PostgreSQL migrations. A
 * target that already holds accounts, sessions or settings is refused, so a
 * second run changes nothing (MigrationRefused).
 */
export async function migrateSqliteToPostgres(sqlitePath: string, databaseUrl: string, logger: Logger): Promise<MigrationReport> {
  if (sqlitePath !== ':memory:' && !fs.existsSync(sqlitePath)) throw new MigrationRefused(`No SQLite database at ${sqlitePath}.`);
  const db = openDatabase(sqlitePath);
  const link = new PgLink(databaseUrl, logger);
  try {
    const client = await link.connect();
    try {
      await migratePostgres(client);
      const held: string[] = [];
      for (const table of MUST_BE_EMPTY) {
        const n = Number((await client.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0]?.n ?? 0);
        if (n > 0) held.push(`${n} ${table.replace('_', ' ')}`);
      }
      if (held.length > 0) {
        throw new MigrationRefused(`The PostgreSQL database is not empty (it holds ${held.join(', ')}); nothing was copied. Migrate into a new, empty database.`);
      }
      const copied: Record<string, number> = {};
      await client.query('BEGIN');
      try {
        for (const table of TABLES) {
          if (!tableExists(db, table.name)) continue;
          const rows = db.prepare(`SELECT * FROM ${table.name}`).all() as Record<string, unknown>[];
          for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) await insertRows(client, table, rows.slice(start, start + ROWS_PER_INSERT));
          if (table.identity) {
            await client.query(`SELECT setval(pg_get_serial_sequence('${table.name}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM ${table.name}), 1), (SELECT COUNT(*) > 0 FROM ${table.name}))`);
          }
          copied[table.name] = rows.length;
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      return { copied };
    } finally {
      client.release();
    }
  } finally {
    db.close();
    await link.close();
  }
}

async function insertRows(client: { query(sql: string, params: unknown[]): Promise<unknown> }, table: (typeof TABLES)[number], rows: Record<string, unknown>[]): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  const params: unknown[] = [];
  const tuples = rows.map((row) => {
    const placeholders = columns.map((column) => {
      const value = row[column];
      params.push(table.booleans?.includes(column) ? value === 1 || value === true : value);
      return `$${params.length}`;
    });
    return `(${placeholders.join(', ')})`;
  });
  await client.query(`INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, params);
}
