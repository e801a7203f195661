import { createHash, randomBytes } from 'node:crypto';
import type { Account } from './accounts.ts';
import type { Db } from './db.ts';

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Technician logins behind the `rr_session` cookie. Only a SHA-256 of the
 * token is stored, so a copy of the database does not log anyone in.
 */
export class LoginSessions {
  constructor(
    private readonly db: Db,
    /** Read per login: an administrator may change it at run time. */
    private readonly ttlMs: () => number,
    private readonly now: () => number,
  ) {}

  create(accountId: string): { token: string; expiresAt: number } {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = now + this.ttlMs();
    this.db.prepare('DELETE FROM login_sessions WHERE expires_at <= ?').run(now);
    this.db.prepare('INSERT INTO login_sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(digest(token), accountId, now, expiresAt);
    return { token, expiresAt };
  }

  /** The enabled account behind a live token, or null. */
  lookup(token: string | undefined): Account | null {
    if (!token || token.length > 200) return null;
    const row = this.db
      .prepare(
        `SELECT a.id, a.email, a.name, a.is_admin, a.disabled, a.created_at FROM login_sessions s
         JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ? AND s.expires_at > ?`,
      )
      .get(digest(token), this.now()) as
      | { id: string; email: string; name: string; is_admin: number; disabled: number; created_at: number }
      | undefined;
    if (!row || row.disabled === 1) return null;
    return { id: row.id, email: row.email, name: row.name, isAdmin: row.is_admin === 1, disabled: false, createdAt: row.created_at };
  }

  revoke(token: string): void {
    this.db.prepare('DELETE FROM login_sessions WHERE token_hash = ?').run(digest(token));
  }
}
