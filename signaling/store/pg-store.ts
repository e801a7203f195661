import type { Logger } from '../logger.ts';
import { PgAccounts, PgLoginAddresses, PgLogins, PgSettings, PgTwoFactor } from './pg-accounts.ts';
import { PgActions, PgAudit, PgAuditSearch, PgLiveSessions } from './pg-audit.ts';
import { PgAdhoc } from './pg-adhoc.ts';
import { PgLink } from './pg-link.ts';
import { registerWriteBarrier } from './reply-gate.ts';
import { migratePostgres } from './pg-schema.ts';
import type { Store } from './types.ts';

/** The PostgreSQL store (DATABASE_URL): connected and migrated before the server starts. */
export async function openPostgresStore(url: string, logger: Logger): Promise<Store> {
  const link = new PgLink(url, logger);
  const client = await link.connect();
  try {
    const applied = await migratePostgres(client);
    if (applied.length > 0) logger.info({ versions: applied }, 'applied PostgreSQL migrations');
  } catch (error) {
    client.release();
    await link.close();
    throw error;
  }
  client.release();
  return postgresStore(link);
}

export function postgresStore(link: PgLink): Store {
  const unregister = registerWriteBarrier(link);
  return {
    kind: 'postgres',
    durable: true,
    accounts: new PgAccounts(link),
    settings: new PgSettings(link),
    logins: new PgLogins(link),
    addresses: new PgLoginAddresses(link),
    twoFactor: new PgTwoFactor(link),
    audit: new PgAudit(link),
    auditSearch: new PgAuditSearch(link),
    actions: new PgActions(link),
    live: new PgLiveSessions(link),
    adhoc: new PgAdhoc(link),
    problem: () => link.problem(),
    // Writes are commands on one ordered queue: a step's writes are stored in order, not as one transaction.
    atomically: (writes) => writes(),
    close: async () => {
      // What is still queued is stored or given up within close's few seconds; replies no longer wait for it.
      const closing = link.close();
      unregister();
      await closing;
    },
  };
}
