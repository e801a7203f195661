import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many
 * ran. Append new steps, never edit old ones. Other modules (ad hoc) may add
 * their own tables with `CREATE TABLE IF NOT EXISTS` at start-up.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE login_sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX login_sessions_account ON login_sessions(account_id);
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'pin',
    technician_id TEXT,
    technician_email TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ended_at INTEGER,
    end_reason TEXT,
    force_relay INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX sessions_technician ON sessions(technician_id, created_at);
  CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    actor_label TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX audit_events_session ON audit_events(session_id, id);
  `,
  `
  CREATE TABLE login_addresses (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    last_login_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, address)
  );
  `,
  // 3: two-factor login, the administration page's audit search, the admin action log.
  `
  ALTER TABLE sessions ADD COLUMN customer_address TEXT;
  ALTER TABLE sessions ADD COLUMN started_at INTEGER;
  UPDATE sessions SET customer_address = (
    SELECT substr(e.detail, instr(e.detail, 'address=') + 8) FROM audit_events e
    WHERE e.session_id = sessions.id AND e.event = 'code.entered' AND instr(e.detail, 'address=') > 0 ORDER BY e.id LIMIT 1);
  UPDATE sessions SET started_at = (
    SELECT min(e.at) FROM audit_events e WHERE e.session_id = sessions.id AND e.event IN ('session.activated', 'adhoc.connected'));
  CREATE INDEX sessions_created ON sessions(created_at, id);
  CREATE INDEX sessions_technician_email ON sessions(technician_email COLLATE NOCASE, created_at, id);
  CREATE TABLE two_factor (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    confirmed_at INTEGER,
    last_step INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE recovery_codes (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (account_id, code_hash)
  );
  CREATE TABLE admin_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
  );
  `,
];

/** The files SQLite keeps for a database in WAL mode. */
export const DATABASE_FILE_SUFFIXES = ['', '-wal', '-shm'] as const;

/**
 * Opens (and creates or migrates) the database; WAL mode for files. Files are
 * created under umask 077 and set to 0600 (the database, its WAL and its
 * shared-memory file; SQLite gives later WAL/SHM files the database's mode),
 * so other local users cannot read accounts, logins or the audit log. The
 * folder is made private by `prepareDataDir` (signaling/data-dir.ts).
 */
export function openDatabase(databasePath: string): Db {
  if (databasePath === ':memory:') return configure(new Database(databasePath), false);
  fs.mkdirSync(path.dirname(databasePath), { recursive: true, mode: 0o700 });
  const umask = process.umask(0o077);
  try {
    const db = configure(new Database(databasePath), true);
    for (const suffix of DATABASE_FILE_SUFFIXES) {
      try {
        fs.chmodSync(databasePath + suffix, 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return db;
  } finally {
    process.umask(umask);
  }
}

function configure(db: Db, file: boolean): Db {
  if (file) db.pragma('journal_mode = WAL');
  // WAL with synchronous=NORMAL: every audit event is still its own committed transaction before the reply
  // goes out, and survives the process dying (SIGKILL, OOM); only an OS crash or power cut can roll back the
  // last commits, never corrupt the file. FULL fsynced every commit: 2-3 ms each on this disk, blocking
  // signaling (docs/decisions.md, docs/performance-signaling.md).
  if (file) db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  for (let step = current; step < MIGRATIONS.length; step++) {
    const sql = MIGRATIONS[step];
    if (sql === undefined) break;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${step + 1}`);
    })();
  }
}
