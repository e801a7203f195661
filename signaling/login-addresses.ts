import type { LoginAddressRows } from './store/types.ts';

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
  constructor(
    private readonly rows: LoginAddressRows,
    private readonly now: () => number,
  ) {}

  isKnown(email: string, address: string): Promise<boolean> {
    return this.rows.isKnown(email, address, this.now() - KNOWN_ADDRESS_MS);
  }

  remember(accountId: string, address: string): Promise<void> {
    const now = this.now();
    return this.rows.remember(accountId, address, now, now - KNOWN_ADDRESS_MS, MAX_PER_ACCOUNT);
  }
}
