import { AccountStore, type PasswordVerifier } from '../accounts.ts';
import { AdminActionLog } from '../admin/action-log.ts';
import { AdminService } from '../admin/admin-service.ts';
import { AuditLog } from '../audit-log.ts';
import type { Config } from '../config.ts';
import { LoginSessions } from '../login-sessions.ts';
import { RuntimeSettings } from '../runtime-settings.ts';
import { secretBoxFor } from '../two-factor/secret-box.ts';
import { TwoFactorService } from '../two-factor/two-factor-service.ts';
import type { Store } from './types.ts';

/** The services that keep the rules over a store, built the same way by the server, the admin CLI and tests. */
export interface StoreServices {
  accounts: AccountStore;
  audit: AuditLog;
  settings: RuntimeSettings;
  actions: AdminActionLog;
  twoFactor: TwoFactorService;
  logins: LoginSessions;
  admin: AdminService;
}

export function storeServices(
  store: Store,
  config: Pick<Config, 'loginSessionHours' | 'twoFactorKeyFile'>,
  opts: { now?: () => number; verifyPassword?: PasswordVerifier } = {},
): StoreServices {
  const now = opts.now ?? Date.now;
  const accounts = new AccountStore(store.accounts, store.settings, now, opts.verifyPassword);
  const audit = new AuditLog(store.audit, now);
  const settings = new RuntimeSettings(store.settings, accounts, config);
  const actions = new AdminActionLog(store.actions, now);
  const twoFactor = new TwoFactorService({ rows: store.twoFactor, box: secretBoxFor(config), settings, actions, now });
  const logins = new LoginSessions(store.logins, async () => (await settings.loginSessionHours()) * 3_600_000, now);
  const admin = new AdminService({ search: store.auditSearch, logins, accounts, audit, settings, twoFactor, actions, now });
  return { accounts, audit, settings, actions, twoFactor, logins, admin };
}
