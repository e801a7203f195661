import { randomUUID } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { LIMITS, RescueError } from '../protocol/index.ts';
import type { AccountRows, SettingRows, StoredAccount } from './store/types.ts';

/** A technician account as the rest of the server sees it (never the hash). */
export interface Account {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  disabled: boolean;
  createdAt: number;
}

/** argon2id (the library's default algorithm) with its default cost: 19 MiB, t=2, p=1 (OWASP's minimum). */
const HASH_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const MIN_PASSWORD_CHARS = LIMITS.passwordMinChars;

/** The account without its hash. */
export const toAccount = (row: StoredAccount): Account => ({
  id: row.id,
  email: row.email,
  name: row.name,
  isAdmin: row.isAdmin,
  disabled: row.disabled,
  createdAt: row.createdAt,
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

/** Technician accounts and the seat count, in the server's store (SQLite or PostgreSQL). */
export class AccountStore {
  /** A hash to verify against when the email is unknown, so timing does not tell. */
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly rows: AccountRows,
    private readonly settings: SettingRows,
    private readonly now: () => number = Date.now,
    private readonly verifier: PasswordVerifier = argon2Verify,
  ) {}

  async create(input: { email: string; name: string; password: string; isAdmin: boolean }): Promise<Account> {
    const email = input.email.trim();
    const name = input.name.trim();
    checkEmail(email);
    if (name.length === 0 || name.length > LIMITS.nameChars) throw new RescueError('INVALID_MESSAGE', 'The name must have 1-100 characters.');
    checkPasswordStrength(input.password);
    if (await this.findByEmail(email)) throw new RescueError('ACCOUNT_EXISTS');
    const row: StoredAccount = {
      id: randomUUID(),
      email,
      name,
      passwordHash: await hash(input.password, HASH_OPTIONS),
      isAdmin: input.isAdmin,
      disabled: false,
      createdAt: this.now(),
    };
    await this.rows.insert(row);
    return toAccount(row);
  }

  count(): Promise<number> {
    return this.rows.count();
  }

  async list(): Promise<Account[]> {
    return (await this.rows.list()).map(toAccount);
  }

  async findById(id: string): Promise<Account | undefined> {
    const row = await this.rows.byId(id);
    return row ? toAccount(row) : undefined;
  }

  async findByEmail(email: string): Promise<Account | undefined> {
    const row = await this.rows.byEmail(email.trim());
    return row ? toAccount(row) : undefined;
  }

  /** Looks an account up by id or email; throws ACCOUNT_NOT_FOUND. */
  async resolve(idOrEmail: string): Promise<Account> {
    const account = (await this.findById(idOrEmail)) ?? (await this.findByEmail(idOrEmail));
    if (!account) throw new RescueError('ACCOUNT_NOT_FOUND');
    return account;
  }

  /**
   * Checks an email and password. Returns the account (which may be disabled:
   * the caller decides) or null; unknown emails cost a hash verify too.
   */
  async verifyPassword(email: string, password: string): Promise<Account | null> {
    const row = await this.rows.byEmail(email.trim());
    if (!row) {
      this.dummyHash ??= hash('not-a-real-password', HASH_OPTIONS);
      await this.verifier(await this.dummyHash, password).catch(() => false);
      return null;
    }
    const ok = await this.verifier(row.passwordHash, password).catch(() => false);
    return ok ? toAccount(row) : null;
  }

  async setDisabled(idOrEmail: string, disabled: boolean): Promise<Account> {
    const account = await this.resolve(idOrEmail);
    await this.rows.setDisabled(account.id, disabled);
    return { ...account, disabled };
  }

  async setAdmin(idOrEmail: string, isAdmin: boolean): Promise<Account> {
    const account = await this.resolve(idOrEmail);
    await this.rows.setAdmin(account.id, isAdmin);
    return { ...account, isAdmin };
  }

  async setPassword(idOrEmail: string, password: string): Promise<Account> {
    const account = await this.resolve(idOrEmail);
    checkPasswordStrength(password);
    await this.rows.setPassword(account.id, await hash(password, HASH_OPTIONS));
    return account;
  }

  /** Deletes the account and its logins; its sessions' audit trail stays (readable by admins). */
  async delete(idOrEmail: string): Promise<Account> {
    const account = await this.resolve(idOrEmail);
    await this.rows.delete(account.id);
    return account;
  }

  /** How many technicians may have a console open at once; null = unlimited. */
  async getSeats(): Promise<number | null> {
    const value = await this.settings.get('seats');
    return value === undefined ? null : Number(value);
  }

  async setSeats(seats: number | null): Promise<void> {
    if (seats === null) {
      await this.settings.delete('seats');
      return;
    }
    if (!Number.isInteger(seats) || seats < 0) throw new RescueError('INVALID_MESSAGE', 'Seats must be a whole number of 0 or more.');
    await this.settings.set('seats', String(seats));
  }
}
