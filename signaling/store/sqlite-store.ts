import { openDatabase, type Db } from '../db.ts';
import { SqliteAccounts, SqliteLoginAddresses, SqliteLogins, SqliteSettings, SqliteTwoFactor } from './sqlite-accounts.ts';
import { SqliteAdhoc } from './sqlite-adhoc.ts';
import { SqliteActions, SqliteAudit, SqliteAuditSearch, SqliteLiveSessions } from './sqlite-audit.ts';
import { SqliteCodeFailures } from './sqlite-code-failures.ts';
import type { Store } from './types.ts';

/** The default store: one SQLite file (or `:memory:`), synchronous underneath. */
export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  readonly db: Db;
}

/** Wraps an open SQLite database (migrated by `openDatabase`). */
export function sqliteStore(db: Db, durable = db.name !== ':memory:'): SqliteStore {
  return {
    kind: 'sqlite',
    db,
    durable,
    accounts: new SqliteAccounts(db),
    settings: new SqliteSettings(db),
    logins: new SqliteLogins(db),
    addresses: new SqliteLoginAddresses(db),
    twoFactor: new SqliteTwoFactor(db),
    audit: new SqliteAudit(db),
    auditSearch: new SqliteAuditSearch(db),
    actions: new SqliteActions(db),
    live: new SqliteLiveSessions(db),
    adhoc: new SqliteAdhoc(db),
    codeFailures: new SqliteCodeFailures(db),
    problem: () => null,
    atomically: (writes) => db.transaction(writes)(),
    close: async () => {
      if (db.open) db.close();
    },
  };
}

export function openSqliteStore(databasePath: string): SqliteStore {
  return sqliteStore(openDatabase(databasePath));
}
