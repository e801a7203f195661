import {
  RescueError,
  type AdminSession,
  type AdminTechnician,
  type ActionPage,
  type RuntimeSettingsValues,
  type SessionPage,
  type SessionQuery,
  type SettingsPatch,
} from '../../protocol/index.ts';
import type { Account, AccountStore } from '../accounts.ts';
import type { AuditLog, AuditRecord } from '../audit-log.ts';
import type { LoginSessions } from '../login-sessions.ts';
import type { AuditSearchRows } from '../store/types.ts';
import type { RuntimeSettings } from '../runtime-settings.ts';
import type { TwoFactorService } from '../two-factor/two-factor-service.ts';
import type { AdminActionLog, AdminActor } from './action-log.ts';
import { AuditSearch } from './audit-search.ts';
import { csvRow } from './csv.ts';

export interface AdminServiceDeps {
  search: AuditSearchRows;
  logins: LoginSessions;
  accounts: AccountStore;
  audit: AuditLog;
  settings: RuntimeSettings;
  twoFactor: TwoFactorService;
  actions: AdminActionLog;
  now: () => number;
}

export const CSV_HEADER = ['session_id', 'kind', 'technician', 'customer_address', 'created', 'started', 'ended', 'duration_seconds', 'end_reason', 'events'] as const;

const iso = (at: number | null): string => (at === null ? '' : new Date(at).toISOString());

/**
 * Everything an administrator does, for the administration page's API and the
 * admin CLI alike: accounts, seats and run-time settings, the audit trail.
 * Every change is written to the action log with its actor (an account, or the
 * CLI), and a change that would leave no enabled administrator is refused
 * (LAST_ADMIN), as is an administrator disabling, deleting or demoting their
 * own account from the page.
 */
export class AdminService {
  readonly search: AuditSearch;

  constructor(private readonly d: AdminServiceDeps) {
    this.search = new AuditSearch(d.search);
  }

  async technicians(): Promise<AdminTechnician[]> {
    return Promise.all((await this.d.accounts.list()).map((account) => this.view(account)));
  }

  async createTechnician(actor: AdminActor, input: { email: string; name: string; password: string; isAdmin: boolean }): Promise<AdminTechnician> {
    const account = await this.d.accounts.create(input);
    await this.d.actions.record(actor, 'technician.created', account.email, `name=${account.name} role=${account.isAdmin ? 'admin' : 'technician'}`);
    return this.view(account);
  }

  async setDisabled(actor: AdminActor, target: string, disabled: boolean): Promise<AdminTechnician> {
    const account = await this.d.accounts.resolve(target);
    if (disabled) await this.guardRemoval(actor, account, 'disable');
    const changed = await this.d.accounts.setDisabled(account.id, disabled);
    await this.d.actions.record(actor, disabled ? 'technician.disabled' : 'technician.enabled', account.email);
    return this.view(changed);
  }

  async deleteTechnician(actor: AdminActor, target: string): Promise<Account> {
    const account = await this.d.accounts.resolve(target);
    await this.guardRemoval(actor, account, 'delete');
    await this.d.accounts.delete(account.id);
    await this.d.actions.record(actor, 'technician.deleted', account.email, `name=${account.name}`);
    return account;
  }

  async resetPassword(actor: AdminActor, target: string, password: string): Promise<AdminTechnician> {
    const account = await this.d.accounts.setPassword((await this.d.accounts.resolve(target)).id, password);
    await this.d.actions.record(actor, 'technician.password_reset', account.email, 'logins ended');
    return this.view(account);
  }

  /** Removes the account's two-factor enrolment and ends its logins (a lost phone is a security event). */
  async resetTwoFactor(actor: AdminActor, target: string): Promise<AdminTechnician> {
    const account = await this.d.accounts.resolve(target);
    const had = await this.d.twoFactor.remove(account.id);
    await this.d.logins.revokeAccount(account.id);
    await this.d.actions.record(actor, 'technician.two_factor_reset', account.email, had ? 'enrolment removed, logins ended' : 'was not enrolled; logins ended');
    return this.view(account);
  }

  async setAdmin(actor: AdminActor, target: string, isAdmin: boolean): Promise<AdminTechnician> {
    const account = await this.d.accounts.resolve(target);
    if (!isAdmin) await this.guardRemoval(actor, account, 'demote');
    const changed = await this.d.accounts.setAdmin(account.id, isAdmin);
    if (account.isAdmin !== isAdmin) await this.d.actions.record(actor, isAdmin ? 'technician.admin_granted' : 'technician.admin_revoked', account.email);
    return this.view(changed);
  }

  settings(): Promise<RuntimeSettingsValues> {
    return this.d.settings.all();
  }

  async updateSettings(actor: AdminActor, patch: SettingsPatch): Promise<RuntimeSettingsValues> {
    const changes = await this.d.settings.update(patch);
    if (changes.length > 0) await this.d.actions.record(actor, 'settings.changed', changes.map((c) => c.split(':')[0]).join(', '), changes.join('; '));
    return this.d.settings.all();
  }

  async sessions(query: SessionQuery): Promise<SessionPage> {
    await this.d.audit.flush();
    return this.search.page(query);
  }

  async session(id: string): Promise<{ session: AdminSession; events: AuditRecord[] }> {
    await this.d.audit.flush();
    const session = await this.search.byId(id);
    if (!session) throw new RescueError('SESSION_NOT_FOUND');
    return { session, events: await this.d.audit.events(id) };
  }

  /**
   * The matching sessions as CSV, one record per session with its events in
   * the last cell (one line each), in chunks: the caller writes each and
   * yields to the event loop between them. The export itself is audited.
   */
  async *exportCsv(actor: AdminActor, query: Omit<SessionQuery, 'cursor' | 'limit'>): AsyncGenerator<string> {
    const filters = Object.entries(query)
      .filter(([, value]) => value !== undefined && value !== '')
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ');
    await this.d.actions.record(actor, 'audit.exported', 'sessions', filters || 'all sessions');
    yield `\uFEFF${csvRow(CSV_HEADER)}`;
    await this.d.audit.flush();
    // 100 sessions (~800 events) per chunk: on SQLite each is one synchronous read, short enough not to hold up signaling.
    for await (const batch of this.search.batches(query, 100)) {
      const eventsOf = await this.d.audit.eventsOf(batch.map((s) => s.id));
      let chunk = '';
      for (const s of batch) {
        const events = (eventsOf.get(s.id) ?? [])
          .map((e) => `${iso(e.at)} ${e.event} (${e.actor.label})${e.detail ? ` ${e.detail}` : ''}`)
          .join('\n');
        chunk += csvRow([
          s.id,
          s.kind,
          s.technicianEmail,
          s.customerAddress,
          iso(s.createdAt),
          iso(s.startedAt),
          iso(s.endedAt),
          s.durationMs === null ? null : Math.round(s.durationMs / 1000),
          s.endReason,
          events,
        ]);
      }
      yield chunk;
    }
  }

  actions(cursor: string | undefined, limit: number): Promise<ActionPage> {
    return this.d.actions.page(cursor, limit);
  }

  private async view(account: Account): Promise<AdminTechnician> {
    return {
      id: account.id,
      email: account.email,
      name: account.name,
      isAdmin: account.isAdmin,
      disabled: account.disabled,
      createdAt: account.createdAt,
      twoFactor: await this.d.twoFactor.isEnrolled(account.id),
    };
  }

  private async guardRemoval(actor: AdminActor, account: Account, what: 'disable' | 'delete' | 'demote'): Promise<void> {
    if (actor.kind === 'technician' && actor.id === account.id) {
      throw new RescueError('FORBIDDEN', `You cannot ${what} your own account; another administrator (or the admin CLI) can.`);
    }
    if (!account.isAdmin || account.disabled) return;
    const others = (await this.d.accounts.list()).filter((a) => a.isAdmin && !a.disabled && a.id !== account.id);
    if (others.length === 0) throw new RescueError('LAST_ADMIN');
  }
}
