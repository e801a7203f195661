import { randomUUID } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { LIMITS, RescueError } from '../protocol/index.ts';
import type { Db } from './db.ts';

/** A technician account as the rest of the server sees it (never the hash). */
export interface Account {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  disabled: boolean;
  createdAt: number;
}

interface AccountRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  is_admin: number;
  disabled: number;
  created_at: number;
}

/** argon2id (the library's default algorithm) with its default cost: 19 MiB, t=2, p=1 (OWASP's minimum). */
const HASH_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const MIN_PASSWORD_CHARS = LIMITS.passwordMinChars;

const toAccount = (row: AccountRow): Account => ({
  id: row.id,
  email: row.email,
  name: row.name,
  isAdmin: row.is_admin === 1,
  disabled: row.disabled === 1,
  createdAt: row.created_at,
});

export function checkPasswordStrength(password: string): void {
  if (password.length < MIN_PASSWORD_CHARS) {
    throw new RescueError('PASSWORD_TOO_WEAK', `The password needs at least ${MIN_PASSWORD_CHARS} characters.`);
  }
  if (password.length > LIMITS.passwordChars) {
    throw new RescueError('PASSWORD_TOO_WEAK', `The password may have at most ${LIMITS.passwordChars} characters.`);
  }
}

function checkEmail(email: string): void {
  if (email.length > LIMITS.emailChars || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new RescueError('INVALID_MESSAGE', `Not an email address: ${JSON.stringify(email.slice(0, 80))}.`);
  }
}

/** Checks a password against a stored argon2 hash (injected in tests to count the checks). */
export type PasswordVerifier = (passwordHash: string, password: string) => Promise<boolean>;

const argon2Verify: PasswordVerifier = (passwordHash, password) => verify(passwordHash, password);

/** Technician accounts and the seat count, in SQLite. */
export class AccountStore {
  /** A hash to verify against when the email is unknown, so timing does not tell. */
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly verifier: PasswordVerifier = argon2Verify,
  ) {}

  async create(input: { email: string; name: string; password: string; isAdmin: boolean }): Promise<Account> {
    const email = input.email.trim();
    const name = input.name.trim();
    checkEmail(email);
    if (name.length === 0 || name.length > LIMITS.nameChars) throw new RescueError('INVALID_MESSAGE', 'The name must have 1-100 characters.');
    checkPasswordStrength(input.password);
    if (this.findByEmail(email)) throw new RescueError('ACCOUNT_EXISTS');
    const passwordHash = await hash(input.password, HASH_OPTIONS);
    const row: AccountRow = {
      id: randomUUID(),
      email,
      name,
      password_hash: passwordHash,
      is_admin: input.isAdmin ? 1 : 0,
      disabled: 0,
      created_at: this.now(),
    };
    try {
      this.db
        .prepare(
          'INSERT INTO accounts (id, email, name, password_hash, is_admin, disabled, created_at) VALUES (@id, @email, @name, @password_hash, @is_admin, @disabled, @created_at)',
        )
        .run(row);
    } catch (error) {
      if (error instanceof Error && /UNIQUE/.test(error.message)) throw new RescueError('ACCOUNT_EXISTS');
      throw error;
    }
    return toAccount(row);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM accounts').get() as { n: number }).n;
  }

  list(): Account[] {
    return (this.db.prepare('SELECT * FROM accounts ORDER BY created_at, email').all() as AccountRow[]).map(toAccount);
  }

  findById(id: string): Account | undefined {
    const row = this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    return row ? toAccount(row) : undefined;
  }

  findByEmail(email: string): Account | undefined {
    const row = this.db.prepare('SELECT * FROM accounts WHERE email = ?').get(email.trim()) as AccountRow | undefined;
    return row ? toAccount(row) : undefined;
  }

  /** Looks an account up by id or email; throws ACCOUNT_NOT_FOUND. */
  resolve(idOrEmail: string): Account {
    const account = this.findById(idOrEmail) ?? this.findByEmail(idOrEmail);
    if (!account) throw new RescueError('ACCOUNT_NOT_FOUND');
    return account;
  }

  /**
   * Checks an email and password. Returns the account (which may be disabled:
   * the caller decides) or null; unknown emails cost a hash verify too.
   */
  async verifyPassword(email: string, password: string): Promise<Account | null> {
    const row = this.db.prepare('SELECT * FROM accounts WHERE email = ?').get(email.trim()) as AccountRow | undefined;
    if (!row) {
      this.dummyHash ??= hash('not-a-real-password', HASH_OPTIONS);
      await this.verifier(await this.dummyHash, password).catch(() => false);
      return null;
    }
    const ok = await this.verifier(row.password_hash, password).catch(() => false);
    return ok ? toAccount(row) : null;
  }

  setDisabled(idOrEmail: string, disabled: boolean): Account {
    const account = this.resolve(idOrEmail);
    this.db.prepare('UPDATE accounts SET disabled = ? WHERE id = ?').run(disabled ? 1 : 0, account.id);
    if (disabled) this.db.prepare('DELETE FROM login_sessions WHERE account_id = ?').run(account.id);
    return { ...account, disabled };
  }

  setAdmin(idOrEmail: string, isAdmin: boolean): Account {
    const account = this.resolve(idOrEmail);
    this.db.prepare('UPDATE accounts SET is_admin = ? WHERE id = ?').run(isAdmin ? 1 : 0, account.id);
    return { ...account, isAdmin };
  }

  async setPassword(idOrEmail: string, password: string): Promise<Account> {
    const account = this.resolve(idOrEmail);
    checkPasswordStrength(password);
    const passwordHash = await hash(password, HASH_OPTIONS);
    this.db.transaction(() => {
      this.db.prepare('UPDATE accounts SET password_hash = ? WHERE id = ?').run(passwordHash, account.id);
      this.db.prepare('DELETE FROM login_sessions WHERE account_id = ?').run(account.id);
    })();
    return account;
  }

  /** Deletes the account and its logins; its sessions' audit trail stays (readable by admins). */
  delete(idOrEmail: string): Account {
    const account = this.resolve(idOrEmail);
    this.db.prepare('DELETE FROM accounts WHERE id = ?').run(account.id);
    return account;
  }

  /** How many technicians may have a console open at once; null = unlimited. */
  getSeats(): number | null {
    const row = this.db.prepare("SELECT value FROM settings WHERE key = 'seats'").get() as { value: string } | undefined;
    return row ? Number(row.value) : null;
  }

  setSeats(seats: number | null): void {
    if (seats === null) {
      this.db.prepare("DELETE FROM settings WHERE key = 'seats'").run();
      return;
    }
    if (!Number.isInteger(seats) || seats < 0) throw new RescueError('INVALID_MESSAGE', 'Seats must be a whole number of 0 or more.');
    this.db.prepare("INSERT INTO settings (key, value) VALUES ('seats', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(seats));
  }
}
