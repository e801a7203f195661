import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { openPostgresStore } from './pg-store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { Store } from './types.ts';

/**
 * The store the configuration names: PostgreSQL for DATABASE_URL (connected,
 * migrated under an advisory lock), else the SQLite file DATABASE_PATH.
 * Start-up problems (unreachable, wrong password, not a database) are
 * ConfigErrors naming DATABASE_URL.
 */
export async function openStore(config: Readonly<Pick<Config, 'databaseUrl' | 'databasePath'> & Partial<Pick<Config, 'redisUrl'>>>, logger: Logger): Promise<Store> {
  if (config.databaseUrl !== null) return openPostgresStore(config.databaseUrl, logger);
  // Several nodes on one SQLite file (REDIS_URL) commit each step: a write lock held for a whole
  // turn would make the other nodes' writes wait, or fail at once with SQLITE_BUSY_SNAPSHOT.
  return openSqliteStore(config.databasePath, {
    commitPerTurn: !config.redisUrl,
    onCheckpointError: (message) => logger.warn({ err: message }, 'WAL checkpoint thread failed: checkpointing on the event loop again'),
  });
}
