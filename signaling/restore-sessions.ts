import type { AccountStore } from './accounts.ts';
import type { AuditLog } from './audit-log.ts';
import type { LiveSessions } from './live-sessions.ts';
import type { Logger } from './logger.ts';
import type { SessionRegistry } from './session-registry.ts';

/**
 * Start-up after a stop or a crash: the sessions the last run left live
 * (a customer had joined, the audit log has them open, the technician's
 * account still works) are restored, suspended, for both sides to re-attach
 * within the grace period. Every other session left open (codes nobody
 * entered, a disabled technician's) ends once, with reason `server_restart`.
 */
export async function restoreLiveSessions(deps: { registry: SessionRegistry; live: LiveSessions | null; audit: AuditLog; accounts: AccountStore; logger: Logger }): Promise<void> {
  const { registry, live, audit, accounts, logger } = deps;
  const restored = new Set<string>();
  for (const record of (await live?.all()) ?? []) {
    const open = (await audit.getSession(record.id))?.endedAt === null;
    const account = await accounts.findById(record.technician.id);
    if (!open || !account || account.disabled) {
      live?.forget(record.id);
      continue;
    }
    registry.restore({ ...record, technician: { id: account.id, email: account.email, name: account.name, isAdmin: account.isAdmin } });
    restored.add(record.id);
  }
  if (restored.size > 0) logger.warn({ sessions: restored.size }, 'restored the live sessions of the last run; both sides may re-attach within the grace period');
  const dangling = await audit.closeDangling('server_restart', restored);
  if (dangling > 0) logger.warn({ sessions: dangling }, 'ended the sessions an earlier run left open (server_restart)');
}
