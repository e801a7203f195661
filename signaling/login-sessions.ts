import { createHash, randomBytes } from 'node:crypto';
import { toAccount, type Account } from './accounts.ts';
import type { LoginRows } from './store/types.ts';

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Technician logins behind the `rr_session` cookie. Only a SHA-256 of the
 * token is stored, so a copy of the database does not log anyone in.
 */
export class LoginSessions {
  constructor(
    private readonly rows: LoginRows,
    /** Read per login: an administrator may change it at run time. */
    private readonly ttlMs: () => Promise<number>,
    private readonly now: () => number,
  ) {}

  async create(accountId: string): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = now + (await this.ttlMs());
    await this.rows.create(digest(token), accountId, now, expiresAt);
    return { token, expiresAt };
  }

  /** The enabled account behind a live token, or null. */
  async lookup(token: string | undefined): Promise<Account | null> {
    if (!token || token.length > 200) return null;
    const row = await this.rows.lookup(digest(token), this.now());
    if (!row || row.disabled) return null;
    return toAccount(row);
  }

  revoke(token: string): Promise<void> {
    return this.rows.revoke(digest(token));
  }

  /** Ends every login of an account. */
  revokeAccount(accountId: string): Promise<void> {
    return this.rows.revokeAccount(accountId);
  }
}
