import type { Db } from '../db.ts';
import type { CodeFailureRows } from './types.ts';

/** The code guard's per-address state in SQLite (signaling/code-failures.ts), one row per address key. */
export class SqliteCodeFailures implements CodeFailureRows {
  private readonly s;

  constructor(db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS code_failures (key TEXT PRIMARY KEY, state TEXT NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS code_failures_expiry ON code_failures(expires_at)`);
    this.s = {
      save: db.prepare('INSERT INTO code_failures (key, state, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at'),
      expired: db.prepare('DELETE FROM code_failures WHERE expires_at <= ?'),
      beyond: db.prepare('DELETE FROM code_failures WHERE key IN (SELECT key FROM code_failures ORDER BY expires_at DESC LIMIT -1 OFFSET ?)'),
      live: db.prepare('SELECT key, state FROM code_failures WHERE expires_at > ?'),
    };
  }

  save(key: string, state: string, expiresAt: number): void {
    this.s.save.run(key, state, expiresAt);
  }

  prune(now: number, keep: number): void {
    this.s.expired.run(now);
    this.s.beyond.run(keep);
  }

  async live(now: number): Promise<{ key: string; state: string }[]> {
    return this.s.live.all(now) as { key: string; state: string }[];
  }
}
