import { RescueError } from '../../protocol/index.ts';
import type { Db } from '../db.ts';
import type { AccountRows, FactorRow, LoginAddressRows, LoginRows, SettingRows, StoredAccount, TwoFactorRows } from './types.ts';

interface AccountRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  is_admin: number;
  disabled: number;
  created_at: number;
}

const toAccount = (row: AccountRow): StoredAccount => ({
  id: row.id,
  email: row.email,
  name: row.name,
  passwordHash: row.password_hash,
  isAdmin: row.is_admin === 1,
  disabled: row.disabled === 1,
  createdAt: row.created_at,
});

/** Accounts in SQLite (email unique without regard to case: COLLATE NOCASE). */
export class SqliteAccounts implements AccountRows {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      insert: db.prepare('INSERT INTO accounts (id, email, name, password_hash, is_admin, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      count: db.prepare('SELECT COUNT(*) AS n FROM accounts'),
      list: db.prepare('SELECT * FROM accounts ORDER BY created_at, email'),
      byId: db.prepare('SELECT * FROM accounts WHERE id = ?'),
      byEmail: db.prepare('SELECT * FROM accounts WHERE email = ?'),
      disabled: db.prepare('UPDATE accounts SET disabled = ? WHERE id = ?'),
      admin: db.prepare('UPDATE accounts SET is_admin = ? WHERE id = ?'),
      password: db.prepare('UPDATE accounts SET password_hash = ? WHERE id = ?'),
      endLogins: db.prepare('DELETE FROM login_sessions WHERE account_id = ?'),
      delete: db.prepare('DELETE FROM accounts WHERE id = ?'),
    };
  }

  async insert(a: StoredAccount): Promise<void> {
    try {
      this.s.insert.run(a.id, a.email, a.name, a.passwordHash, a.isAdmin ? 1 : 0, a.disabled ? 1 : 0, a.createdAt);
    } catch (error) {
      if (error instanceof Error && /UNIQUE/.test(error.message)) throw new RescueError('ACCOUNT_EXISTS');
      throw error;
    }
  }

  async count(): Promise<number> {
    return (this.s.count.get() as { n: number }).n;
  }

  async list(): Promise<StoredAccount[]> {
    return (this.s.list.all() as AccountRow[]).map(toAccount);
  }

  async byId(id: string): Promise<StoredAccount | undefined> {
    const row = this.s.byId.get(id) as AccountRow | undefined;
    return row ? toAccount(row) : undefined;
  }

  async byEmail(email: string): Promise<StoredAccount | undefined> {
    const row = this.s.byEmail.get(email) as AccountRow | undefined;
    return row ? toAccount(row) : undefined;
  }

  async setDisabled(id: string, disabled: boolean): Promise<void> {
    this.db.transaction(() => {
      this.s.disabled.run(disabled ? 1 : 0, id);
      if (disabled) this.s.endLogins.run(id);
    })();
  }

  async setAdmin(id: string, isAdmin: boolean): Promise<void> {
    this.s.admin.run(isAdmin ? 1 : 0, id);
  }

  async setPassword(id: string, passwordHash: string): Promise<void> {
    this.db.transaction(() => {
      this.s.password.run(passwordHash, id);
      this.s.endLogins.run(id);
    })();
  }

  async delete(id: string): Promise<void> {
    this.s.delete.run(id);
  }
}

export class SqliteSettings implements SettingRows {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      get: db.prepare('SELECT value FROM settings WHERE key = ?'),
      set: db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      delete: db.prepare('DELETE FROM settings WHERE key = ?'),
    };
  }

  async get(key: string): Promise<string | undefined> {
    return (this.s.get.get(key) as { value: string } | undefined)?.value;
  }

  async set(key: string, value: string): Promise<void> {
    this.s.set.run(key, value);
  }

  async delete(key: string): Promise<void> {
    this.s.delete.run(key);
  }
}

export class SqliteLogins implements LoginRows {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      prune: db.prepare('DELETE FROM login_sessions WHERE expires_at <= ?'),
      insert: db.prepare('INSERT INTO login_sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)'),
      lookup: db.prepare('SELECT a.* FROM login_sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ? AND s.expires_at > ?'),
      revoke: db.prepare('DELETE FROM login_sessions WHERE token_hash = ?'),
      revokeAccount: db.prepare('DELETE FROM login_sessions WHERE account_id = ?'),
    };
  }

  async create(tokenHash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void> {
    this.s.prune.run(createdAt);
    this.s.insert.run(tokenHash, accountId, createdAt, expiresAt);
  }

  async lookup(tokenHash: string, now: number): Promise<StoredAccount | undefined> {
    const row = this.s.lookup.get(tokenHash, now) as AccountRow | undefined;
    return row ? toAccount(row) : undefined;
  }

  async revoke(tokenHash: string): Promise<void> {
    this.s.revoke.run(tokenHash);
  }

  async revokeAccount(accountId: string): Promise<void> {
    this.s.revokeAccount.run(accountId);
  }
}

export class SqliteLoginAddresses implements LoginAddressRows {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      known: db.prepare(
        `SELECT 1 FROM login_addresses l JOIN accounts a ON a.id = l.account_id
         WHERE a.email = ? AND l.address = ? AND l.last_login_at > ?`,
      ),
      upsert: db.prepare(
        `INSERT INTO login_addresses (account_id, address, last_login_at) VALUES (?, ?, ?)
         ON CONFLICT(account_id, address) DO UPDATE SET last_login_at = excluded.last_login_at`,
      ),
      prune: db.prepare(
        `DELETE FROM login_addresses WHERE account_id = ? AND (last_login_at <= ? OR address NOT IN
         (SELECT address FROM login_addresses WHERE account_id = ? ORDER BY last_login_at DESC LIMIT ?))`,
      ),
    };
  }

  async isKnown(email: string, address: string, since: number): Promise<boolean> {
    return this.s.known.get(email, address, since) !== undefined;
  }

  async remember(accountId: string, address: string, at: number, since: number, keep: number): Promise<void> {
    this.s.upsert.run(accountId, address, at);
    this.s.prune.run(accountId, since, accountId, keep);
  }
}

export class SqliteTwoFactor implements TwoFactorRows {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      get: db.prepare('SELECT secret_sealed, confirmed_at, last_step FROM two_factor WHERE account_id = ?'),
      begin: db.prepare(
        `INSERT INTO two_factor (account_id, secret_sealed, confirmed_at, last_step, created_at) VALUES (?, ?, NULL, 0, ?)
         ON CONFLICT(account_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, confirmed_at = NULL, last_step = 0, created_at = excluded.created_at`,
      ),
      confirm: db.prepare('UPDATE two_factor SET confirmed_at = ?, last_step = ? WHERE account_id = ? AND confirmed_at IS NULL AND secret_sealed = ?'),
      step: db.prepare('UPDATE two_factor SET last_step = ? WHERE account_id = ? AND last_step < ? AND confirmed_at IS NOT NULL'),
      useCode: db.prepare('UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at IS NULL'),
      deleteCodes: db.prepare('DELETE FROM recovery_codes WHERE account_id = ?'),
      insertCode: db.prepare('INSERT INTO recovery_codes (account_id, code_hash, used_at) VALUES (?, ?, NULL)'),
      left: db.prepare('SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = ? AND used_at IS NULL'),
      delete: db.prepare('DELETE FROM two_factor WHERE account_id = ?'),
    };
  }

  async get(accountId: string): Promise<FactorRow | undefined> {
    const row = this.s.get.get(accountId) as { secret_sealed: string; confirmed_at: number | null; last_step: number } | undefined;
    return row ? { secretSealed: row.secret_sealed, confirmedAt: row.confirmed_at, lastStep: row.last_step } : undefined;
  }

  async begin(accountId: string, secretSealed: string, at: number): Promise<void> {
    this.s.begin.run(accountId, secretSealed, at);
  }

  async confirm(accountId: string, secretSealed: string, at: number, step: number, codeHashes: readonly string[]): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.s.confirm.run(at, step, accountId, secretSealed).changes !== 1) return false;
      this.replace(accountId, codeHashes);
      return true;
    })();
  }

  async advanceStep(accountId: string, step: number): Promise<boolean> {
    return this.s.step.run(step, accountId, step).changes === 1;
  }

  async useRecoveryCode(accountId: string, codeHash: string, at: number): Promise<boolean> {
    return this.s.useCode.run(at, accountId, codeHash).changes === 1;
  }

  async replaceRecoveryCodes(accountId: string, codeHashes: readonly string[]): Promise<void> {
    this.db.transaction(() => this.replace(accountId, codeHashes))();
  }

  async recoveryCodesLeft(accountId: string): Promise<number> {
    return (this.s.left.get(accountId) as { n: number }).n;
  }

  async remove(accountId: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.s.deleteCodes.run(accountId);
      return this.s.delete.run(accountId).changes > 0;
    })();
  }

  private replace(accountId: string, codeHashes: readonly string[]): void {
    this.s.deleteCodes.run(accountId);
    for (const hash of codeHashes) this.s.insertCode.run(accountId, hash);
  }
}
