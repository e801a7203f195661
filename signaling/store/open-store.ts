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
export async function openStore(config: Readonly<Pick<Config, 'databaseUrl' | 'databasePath'>>, logger: Logger): Promise<Store> {
  if (config.databaseUrl !== null) return openPostgresStore(config.databaseUrl, logger);
  return openSqliteStore(config.databasePath);
}
