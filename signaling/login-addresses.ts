import type { Db } from './db.ts';

/** How long an address an account logged in from stays its "usual" address. */
export const KNOWN_ADDRESS_MS = 30 * 86_400_000;
/** The most addresses remembered per account (the most recent win). */
const MAX_PER_ACCOUNT = 20;

/**
 * The addresses (IPv6: /64) each account logged in from lately. A login from
 * one of them is not slowed when someone elsewhere is guessing the account's
 * password (signaling/login-guard.ts).
 */
export class LoginAddresses {
  private readonly known;
  private readonly upsert;
  private readonly prune;

  constructor(
    db: Db,
    private readonly now: () => number,
  ) {
    this.known = db.prepare(
      `SELECT 1 FROM login_addresses l JOIN accounts a ON a.id = l.account_id
       WHERE a.email = ? AND l.address = ? AND l.last_login_at > ?`,
    );
    this.upsert = db.prepare(
      `INSERT INTO login_addresses (account_id, address, last_login_at) VALUES (?, ?, ?)
       ON CONFLICT(account_id, address) DO UPDATE SET last_login_at = excluded.last_login_at`,
    );
    this.prune = db.prepare(
      `DELETE FROM login_addresses WHERE account_id = ? AND (last_login_at <= ? OR address NOT IN
       (SELECT address FROM login_addresses WHERE account_id = ? ORDER BY last_login_at DESC LIMIT ${MAX_PER_ACCOUNT}))`,
    );
  }

  isKnown(email: string, address: string): boolean {
    return this.known.get(email, address, this.now() - KNOWN_ADDRESS_MS) !== undefined;
  }

  remember(accountId: string, address: string): void {
    const now = this.now();
    this.upsert.run(accountId, address, now);
    this.prune.run(accountId, now - KNOWN_ADDRESS_MS, accountId);
  }
}
