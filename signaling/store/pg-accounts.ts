import { RescueError } from '../../protocol/index.ts';
import type { PgLink } from './pg-link.ts';
import type { AccountRows, FactorRow, LoginAddressRows, LoginRows, SettingRows, StoredAccount, TwoFactorRows } from './types.ts';

interface AccountRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  is_admin: boolean;
  disabled: boolean;
  created_at: number;
}

const toAccount = (row: AccountRow): StoredAccount => ({
  id: row.id,
  email: row.email,
  name: row.name,
  passwordHash: row.password_hash,
  isAdmin: row.is_admin,
  disabled: row.disabled,
  createdAt: row.created_at,
});

/** Accounts in PostgreSQL (email unique without regard to case: a unique index on lower(email)). */
export class PgAccounts implements AccountRows {
  constructor(private readonly pg: PgLink) {}

  async insert(a: StoredAccount): Promise<void> {
    try {
      await this.pg.query('INSERT INTO accounts (id, email, name, password_hash, is_admin, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        a.id,
        a.email,
        a.name,
        a.passwordHash,
        a.isAdmin,
        a.disabled,
        a.createdAt,
      ]);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new RescueError('ACCOUNT_EXISTS');
      throw error;
    }
  }

  async count(): Promise<number> {
    return (await this.pg.query<{ n: number }>('SELECT COUNT(*) AS n FROM accounts')).rows[0]?.n ?? 0;
  }

  async list(): Promise<StoredAccount[]> {
    return (await this.pg.query<AccountRow>('SELECT * FROM accounts ORDER BY created_at, email')).rows.map(toAccount);
  }

  async byId(id: string): Promise<StoredAccount | undefined> {
    const row = (await this.pg.query<AccountRow>('SELECT * FROM accounts WHERE id = $1', [id])).rows[0];
    return row ? toAccount(row) : undefined;
  }

  async byEmail(email: string): Promise<StoredAccount | undefined> {
    const row = (await this.pg.query<AccountRow>('SELECT * FROM accounts WHERE lower(email) = lower($1)', [email])).rows[0];
    return row ? toAccount(row) : undefined;
  }

  async setDisabled(id: string, disabled: boolean): Promise<void> {
    await this.pg.transaction(async (c) => {
      await c.query('UPDATE accounts SET disabled = $1 WHERE id = $2', [disabled, id]);
      if (disabled) await c.query('DELETE FROM login_sessions WHERE account_id = $1', [id]);
    });
  }

  async setAdmin(id: string, isAdmin: boolean): Promise<void> {
    await this.pg.query('UPDATE accounts SET is_admin = $1 WHERE id = $2', [isAdmin, id]);
  }

  async setPassword(id: string, passwordHash: string): Promise<void> {
    await this.pg.transaction(async (c) => {
      await c.query('UPDATE accounts SET password_hash = $1 WHERE id = $2', [passwordHash, id]);
      await c.query('DELETE FROM login_sessions WHERE account_id = $1', [id]);
    });
  }

  async delete(id: string): Promise<void> {
    await this.pg.query('DELETE FROM accounts WHERE id = $1', [id]);
  }
}

export class PgSettings implements SettingRows {
  constructor(private readonly pg: PgLink) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.pg.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key])).rows[0]?.value;
  }

  async set(key: string, value: string): Promise<void> {
    await this.pg.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async delete(key: string): Promise<void> {
    await this.pg.query('DELETE FROM settings WHERE key = $1', [key]);
  }
}

export class PgLogins implements LoginRows {
  constructor(private readonly pg: PgLink) {}

  async create(tokenHash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void> {
    await this.pg.query('DELETE FROM login_sessions WHERE expires_at <= $1', [createdAt]);
    await this.pg.query('INSERT INTO login_sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [tokenHash, accountId, createdAt, expiresAt]);
  }

  async lookup(tokenHash: string, now: number): Promise<StoredAccount | undefined> {
    const row = (
      await this.pg.query<AccountRow>('SELECT a.* FROM login_sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1 AND s.expires_at > $2', [tokenHash, now])
    ).rows[0];
    return row ? toAccount(row) : undefined;
  }

  async revoke(tokenHash: string): Promise<void> {
    await this.pg.query('DELETE FROM login_sessions WHERE token_hash = $1', [tokenHash]);
  }

  async revokeAccount(accountId: string): Promise<void> {
    await this.pg.query('DELETE FROM login_sessions WHERE account_id = $1', [accountId]);
  }
}

export class PgLoginAddresses implements LoginAddressRows {
  constructor(private readonly pg: PgLink) {}

  async isKnown(email: string, address: string, since: number): Promise<boolean> {
    const result = await this.pg.query(
      'SELECT 1 FROM login_addresses l JOIN accounts a ON a.id = l.account_id WHERE lower(a.email) = lower($1) AND l.address = $2 AND l.last_login_at > $3',
      [email, address, since],
    );
    return result.rows.length > 0;
  }

  async remember(accountId: string, address: string, at: number, since: number, keep: number): Promise<void> {
    await this.pg.transaction(async (c) => {
      await c.query(
        `INSERT INTO login_addresses (account_id, address, last_login_at) VALUES ($1, $2, $3)
         ON CONFLICT (account_id, address) DO UPDATE SET last_login_at = excluded.last_login_at`,
        [accountId, address, at],
      );
      await c.query(
        `DELETE FROM login_addresses WHERE account_id = $1 AND (last_login_at <= $2 OR address NOT IN
         (SELECT address FROM login_addresses WHERE account_id = $1 ORDER BY last_login_at DESC LIMIT $3))`,
        [accountId, since, keep],
      );
    });
  }
}

export class PgTwoFactor implements TwoFactorRows {
  constructor(private readonly pg: PgLink) {}

  async get(accountId: string): Promise<FactorRow | undefined> {
    const row = (
      await this.pg.query<{ secret_sealed: string; confirmed_at: number | null; last_step: number }>(
        'SELECT secret_sealed, confirmed_at, last_step FROM two_factor WHERE account_id = $1',
        [accountId],
      )
    ).rows[0];
    return row ? { secretSealed: row.secret_sealed, confirmedAt: row.confirmed_at, lastStep: row.last_step } : undefined;
  }

  async begin(accountId: string, secretSealed: string, at: number): Promise<void> {
    await this.pg.query(
      `INSERT INTO two_factor (account_id, secret_sealed, confirmed_at, last_step, created_at) VALUES ($1, $2, NULL, 0, $3)
       ON CONFLICT (account_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, confirmed_at = NULL, last_step = 0, created_at = excluded.created_at`,
      [accountId, secretSealed, at],
    );
  }

  async confirm(accountId: string, secretSealed: string, at: number, step: number, codeHashes: readonly string[]): Promise<boolean> {
    return this.pg.transaction(async (c) => {
      const done = await c.query('UPDATE two_factor SET confirmed_at = $1, last_step = $2 WHERE account_id = $3 AND confirmed_at IS NULL AND secret_sealed = $4', [
        at,
        step,
        accountId,
        secretSealed,
      ]);
      if (done.rowCount !== 1) return false;
      await replace(c, accountId, codeHashes);
      return true;
    });
  }

  async advanceStep(accountId: string, step: number): Promise<boolean> {
    const done = await this.pg.query('UPDATE two_factor SET last_step = $1 WHERE account_id = $2 AND last_step < $1 AND confirmed_at IS NOT NULL', [step, accountId]);
    return done.rowCount === 1;
  }

  async useRecoveryCode(accountId: string, codeHash: string, at: number): Promise<boolean> {
    const done = await this.pg.query('UPDATE recovery_codes SET used_at = $1 WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL', [at, accountId, codeHash]);
    return done.rowCount === 1;
  }

  async replaceRecoveryCodes(accountId: string, codeHashes: readonly string[]): Promise<void> {
    await this.pg.transaction((c) => replace(c, accountId, codeHashes));
  }

  async recoveryCodesLeft(accountId: string): Promise<number> {
    return (await this.pg.query<{ n: number }>('SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL', [accountId])).rows[0]?.n ?? 0;
  }

  async remove(accountId: string): Promise<boolean> {
    return this.pg.transaction(async (c) => {
      await c.query('DELETE FROM recovery_codes WHERE account_id = $1', [accountId]);
      return ((await c.query('DELETE FROM two_factor WHERE account_id = $1', [accountId])).rowCount ?? 0) > 0;
    });
  }
}

async function replace(c: { query(sql: string, params: unknown[]): Promise<unknown> }, accountId: string, codeHashes: readonly string[]): Promise<void> {
  await c.query('DELETE FROM recovery_codes WHERE account_id = $1', [accountId]);
  if (codeHashes.length > 0) await c.query('INSERT INTO recovery_codes (account_id, code_hash, used_at) SELECT $1, unnest($2::text[]), NULL', [accountId, [...codeHashes]]);
}
