import type { AuditEvent } from '../../protocol/index.ts';
import type { AdhocRows } from './adhoc-rows.ts';

/**
 * The server's storage, one interface per concern, with a SQLite and a
 * PostgreSQL implementation (signaling/store/sqlite-*.ts, pg-*.ts); chosen
 * once at start by `openStore` (DATABASE_URL or DATABASE_PATH). The services
 * (AccountStore, AuditLog, TwoFactorService...) keep the rules; these only
 * keep rows. Reads are async. Audit and live-session writes are ordered
 * commands that return nothing: SQLite runs them at once (the signaling hot
 * path stays synchronous), PostgreSQL queues them in order on one connection
 * and retries them while the database is away (docs/decisions.md).
 */

/** An account row as stored: what the server sees plus the hash. */
export interface StoredAccount {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  isAdmin: boolean;
  disabled: boolean;
  createdAt: number;
}

export interface AccountRows {
  /** Throws RescueError ACCOUNT_EXISTS when the email (any case) is taken. */
  insert(account: StoredAccount): Promise<void>;
  count(): Promise<number>;
  list(): Promise<StoredAccount[]>;
  byId(id: string): Promise<StoredAccount | undefined>;
  /** Case-insensitive. */
  byEmail(email: string): Promise<StoredAccount | undefined>;
  /** Disabling also ends the account's logins. */
  setDisabled(id: string, disabled: boolean): Promise<void>;
  setAdmin(id: string, isAdmin: boolean): Promise<void>;
  /** Replaces the hash and ends the account's logins, together. */
  setPassword(id: string, passwordHash: string): Promise<void>;
  /** Deletes the account, its logins, addresses and two-factor rows (the audit trail stays). */
  delete(id: string): Promise<void>;
}

export interface SettingRows {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface LoginRows {
  /** Stores a login (and drops expired ones). */
  create(tokenHash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void>;
  /** The account behind a live login, disabled or not. */
  lookup(tokenHash: string, now: number): Promise<StoredAccount | undefined>;
  revoke(tokenHash: string): Promise<void>;
  revokeAccount(accountId: string): Promise<void>;
}

export interface LoginAddressRows {
  isKnown(email: string, address: string, since: number): Promise<boolean>;
  /** Records a login from the address and keeps the account's `keep` most recent since `since`. */
  remember(accountId: string, address: string, at: number, since: number, keep: number): Promise<void>;
}

export interface FactorRow {
  secretSealed: string;
  confirmedAt: number | null;
  lastStep: number;
}

export interface TwoFactorRows {
  get(accountId: string): Promise<FactorRow | undefined>;
  /** Starts (or restarts) an unconfirmed enrolment. */
  begin(accountId: string, secretSealed: string, at: number): Promise<void>;
  /** Confirms the enrolment still sealed with `secretSealed` and stores the recovery codes, together; false if it changed meanwhile. */
  confirm(accountId: string, secretSealed: string, at: number, step: number, codeHashes: readonly string[]): Promise<boolean>;
  /** Compare-and-set of the last used time step: true for exactly one of two racing logins. */
  advanceStep(accountId: string, step: number): Promise<boolean>;
  useRecoveryCode(accountId: string, codeHash: string, at: number): Promise<boolean>;
  replaceRecoveryCodes(accountId: string, codeHashes: readonly string[]): Promise<void>;
  recoveryCodesLeft(accountId: string): Promise<number>;
  /** Removes enrolment and recovery codes; true if there was an enrolment. */
  remove(accountId: string): Promise<boolean>;
}

export interface SessionRecord {
  id: string;
  kind: string;
  technicianId: string | null;
  technicianEmail: string;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  endReason: string | null;
  forceRelay: boolean;
  customerAddress: string | null;
}

export interface AuditActorRow {
  kind: 'technician' | 'customer' | 'server';
  id: string | null;
  label: string;
}

export interface AuditRecord {
  id: number;
  sessionId: string;
  at: number;
  event: AuditEvent;
  actor: AuditActorRow;
  detail: string;
}

export interface AuditRows {
  // Writes: ordered, synchronous to call (see above).
  openSession(input: { id: string; kind: string; technicianId: string | null; technicianEmail: string; createdAt: number; forceRelay: boolean }): void;
  closeSession(id: string, at: number, reason: string): void;
  /** `key` makes the write idempotent where the store retries it (PostgreSQL: audit_events.write_key); random by default. */
  event(sessionId: string, at: number, event: AuditEvent, actor: AuditActorRow, detail: string, key?: string): void;
  markStarted(id: string, at: number): void;
  setCustomer(id: string, address: string): void;
  /** Resolves once every write made before it is stored. */
  flush(): Promise<void>;
  // Reads.
  session(id: string): Promise<SessionRecord | undefined>;
  events(sessionId: string, limit: number): Promise<AuditRecord[]>;
  eventsOf(sessionIds: readonly string[]): Promise<AuditRecord[]>;
  sessions(technicianId: string | null, limit: number): Promise<SessionRecord[]>;
  /** PIN sessions with no end. */
  openPinSessions(): Promise<string[]>;
}

/** A position in the newest-first order of sessions. */
export interface SessionCursor {
  createdAt: number;
  id: string;
}

export interface SessionFilter {
  technician?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  q?: string | undefined;
}

export type SessionSearchRow = SessionRecord & { eventCount: number };

export interface AuditSearchRows {
  /** Newest first, strictly below `before`, at or above `floor`. */
  rows(filter: SessionFilter, before: SessionCursor | null, floor: SessionCursor | null, limit: number): Promise<SessionSearchRow[]>;
  /** The position of the `offset`-th matching session below `before` (filter without text), or undefined. */
  position(filter: SessionFilter, before: SessionCursor | null, offset: number): Promise<SessionCursor | undefined>;
  byId(id: string): Promise<SessionSearchRow | undefined>;
}

export interface ActionRow {
  id: number;
  at: number;
  actorKind: 'technician' | 'cli';
  actorId: string | null;
  actorLabel: string;
  action: string;
  target: string;
  detail: string;
}

export interface ActionRows {
  insert(row: Omit<ActionRow, 'id'>): Promise<void>;
  /** Newest first, ids below `before`. */
  before(before: number, limit: number): Promise<ActionRow[]>;
}

export interface LiveSessionRows {
  // Writes: ordered, synchronous to call.
  save(id: string, record: string): void;
  forget(id: string): void;
  all(): Promise<{ id: string; record: string }[]>;
}

/** The per-address code-guard state kept across a restart (signaling/code-failures.ts): bounded, expiring rows. */
export interface CodeFailureRows {
  // Writes: ordered, synchronous to call.
  save(key: string, state: string, expiresAt: number): void;
  /** Drops the rows expired at `now`, then all but the `keep` that expire last. */
  prune(now: number, keep: number): void;
  live(now: number): Promise<{ key: string; state: string }[]>;
}

/** Everything the server stores, from one database. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly accounts: AccountRows;
  readonly settings: SettingRows;
  readonly logins: LoginRows;
  readonly addresses: LoginAddressRows;
  readonly twoFactor: TwoFactorRows;
  readonly audit: AuditRows;
  readonly auditSearch: AuditSearchRows;
  readonly actions: ActionRows;
  readonly live: LiveSessionRows;
  /** The ad hoc pairings (signaling/store/adhoc-rows.ts). */
  readonly adhoc: AdhocRows;
  /** Where the code guard keeps its per-address state (SQLite; not on PostgreSQL yet: docs/reliability.md). */
  readonly codeFailures?: CodeFailureRows;
  /** Whether a restarted node can read what the last run left (not for an in-memory SQLite). */
  readonly durable: boolean;
  /** Why the database is not usable now (a lost connection), or null. */
  problem(): string | null;
  /** Runs one registry step's writes together: SQLite in one transaction; PostgreSQL's queue keeps them in order. */
  atomically(writes: () => void): void;
  /** Stores what is queued, then closes. */
  close(): Promise<void>;
}
