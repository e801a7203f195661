import type { AccountStore } from './accounts.ts';
import type { AuditLog } from './audit-log.ts';
import type { LiveSessions } from './live-sessions.ts';
import type { Logger } from './logger.ts';
import type { SessionRegistry } from './session-registry.ts';
import type { TechnicianIdentity } from './session.ts';

/**
 * Start-up after a stop or a crash: the sessions the last run left live
 * (a customer had joined, or a code nobody had entered yet; the audit log has
 * them open, the technician's account still works) are restored: a joined
 * session suspended, for both sides to re-attach within the grace period; a
 * pending code pending again until its original expiry (one that expired
 * while the server was down ends once with `code_expired`). Every other
 * session left open (a disabled technician's, a code whose seal does not
 * open because CODE_KEY_FILE changed) ends once, with reason `server_restart`;
 * the customer of such a joined session is told SESSION_NOT_RESTORED when it
 * comes back with its token.
 */
export async function restoreLiveSessions(deps: { registry: SessionRegistry; live: LiveSessions | null; audit: AuditLog; accounts: AccountStore; logger: Logger }): Promise<void> {
  const { registry, live, audit, accounts, logger } = deps;
  const handled = new Set<string>();
  const { joined, pending } = (await live?.all()) ?? { joined: [], pending: [] };
  /** Records whose session is still open in the audit log but cannot come back: they end below with `server_restart`. */
  const ending = new Set<string>();
  /** The technician as their account names them now, or null when the record cannot come back. */
  const restorable = async (record: { id: string; technician: TechnicianIdentity }): Promise<TechnicianIdentity | null> => {
    const open = (await audit.getSession(record.id))?.endedAt === null;
    const account = await accounts.findById(record.technician.id);
    if (!open || !account || account.disabled) {
      live?.forget(record.id);
      if (open) ending.add(record.id);
      return null;
    }
    return { id: account.id, email: account.email, name: account.name, isAdmin: account.isAdmin };
  };
  for (const record of joined) {
    const technician = await restorable(record);
    if (!technician) {
      // Its customer's client resumes when the server is back: told why (SESSION_NOT_RESTORED), not "token not valid".
      if (ending.has(record.id)) registry.notRestorable(record);
      continue;
    }
    registry.restore({ ...record, technician });
    handled.add(record.id);
  }
  let codes = 0;
  let expired = 0;
  // Oldest first, so a technician's codes keep their order in the console's list.
  for (const record of pending.sort((a, b) => a.createdAt - b.createdAt)) {
    const technician = await restorable(record);
    const code = record.code;
    const outcome = technician && code !== null ? registry.restorePending({ ...record, code, technician }) : 'taken';
    if (outcome === 'taken') {
      live?.forget(record.id);
      continue;
    }
    handled.add(record.id);
    if (outcome === 'expired') expired++;
    else codes++;
  }
  if (joined.length > 0 || codes > 0) logger.warn({ sessions: handled.size - expired, codes }, 'restored the live sessions and pending codes of the last run; both sides may re-attach within the grace period');
  if (expired > 0) logger.warn({ codes: expired }, 'ended the codes that expired while the server was down (code_expired)');
  const dangling = await audit.closeDangling('server_restart', handled);
  if (dangling > 0) logger.warn({ sessions: dangling }, 'ended the sessions an earlier run left open (server_restart)');
}
