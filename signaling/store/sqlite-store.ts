import { openDatabase, type Db } from '../db.ts';
import { SqliteAccounts, SqliteLoginAddresses, SqliteLogins, SqliteSettings, SqliteTwoFactor } from './sqlite-accounts.ts';
import { SqliteAdhoc } from './sqlite-adhoc.ts';
import { SqliteActions, SqliteAudit, SqliteAuditSearch, SqliteLiveSessions } from './sqlite-audit.ts';
import { SqliteCodeFailures } from './sqlite-code-failures.ts';
import type { Store } from './types.ts';
import { beforeWritesLeave } from '../turn.ts';
import { startWalCheckpointer } from './wal-checkpointer.ts';

/** The default store: one SQLite file (or `:memory:`), synchronous underneath. */
export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  readonly db: Db;
}

/** Wraps an open SQLite database (migrated by `openDatabase`). */
export function sqliteStore(db: Db, durable = db.name !== ':memory:', commitPerTurn = true, stopCheckpoints: () => Promise<void> = async () => {}): SqliteStore {
  const turn = commitPerTurn ? turnTransaction(db) : { join: () => {}, commit: () => {} };
  // One transaction function for every step (a savepoint inside the turn's transaction): `db.transaction(fn)`
  // builds five wrappers per call, 2.7% of the server's time under the signaling bench.
  const step = db.transaction((writes: () => void) => writes());
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
    atomically: (writes) => {
      turn.join();
      step(writes);
    },
    close: async () => {
      try {
        turn.commit();
      } finally {
        await stopCheckpoints();
        if (db.open) db.close();
      }
    },
  };
}

/** `commitPerTurn: false` commits each step on its own: for a file other processes write to (several nodes). */
export function openSqliteStore(databasePath: string, options: { commitPerTurn?: boolean; onCheckpointError?: (message: string) => void } = {}): SqliteStore {
  const db = openDatabase(databasePath);
  const file = db.name !== ':memory:';
  // A file's WAL checkpoints run in a worker thread, not inside a commit on the event loop (store/wal-checkpointer.ts).
  const stop = file ? startWalCheckpointer(db, options.onCheckpointError) : async () => {};
  return sqliteStore(db, file, options.commitPerTurn ?? true, stop);
}

/**
 * One transaction per event-loop turn for the registry's steps: the first step
 * of a turn opens it, each step runs in it as a savepoint (atomic on its own,
 * as `db.transaction` nests), and it commits at the end of the turn, before
 * the turn's replies leave (signaling/turn.ts). Other statements run in that
 * turn join it; their replies are held for the commit too. One commit (one
 * WAL append) for every step of the turn instead of one each: the commits were
 * 18% of the server's time under the signaling bench.
 */
function turnTransaction(db: Db): { join(): void; commit(): void } {
  const begin = db.prepare('BEGIN');
  const commitStatement = db.prepare('COMMIT');
  let open = false;
  const commit = (): void => {
    if (!open) return;
    open = false;
    // SQLite may have rolled the transaction back itself (SQLITE_FULL, IOERR): then nothing of the turn is stored.
    if (!db.open || !db.inTransaction) throw new Error('the turn transaction was rolled back before its commit');
    try {
      commitStatement.run();
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  };
  return {
    join: () => {
      if (open || db.inTransaction) return;
      begin.run();
      open = true;
      beforeWritesLeave(commit);
    },
    commit,
  };
}
