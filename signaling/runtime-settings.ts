import { MAX_LOGIN_SESSION_HOURS, RescueError, runtimeSettingsSchema, settingsPatchSchema, type RuntimeSettingsValues, type SettingsPatch } from '../protocol/index.ts';
import type { AccountStore } from './accounts.ts';
import type { SettingRows } from './store/types.ts';

/**
 * The settings an administrator may change while the server runs, in the
 * `settings` table so the CLI, the page and every server on the database see
 * one value. Each read goes to the database (one indexed row), so a change
 * made by another process applies at the next request.
 */
export class RuntimeSettings {
  constructor(
    private readonly rows: SettingRows,
    private readonly accounts: AccountStore,
    private readonly defaults: { loginSessionHours: number },
  ) {}

  seats(): Promise<number | null> {
    return this.accounts.getSeats();
  }

  async require2fa(): Promise<boolean> {
    return (await this.rows.get('require_2fa')) === '1';
  }

  async loginSessionHours(): Promise<number> {
    const stored = Number(await this.rows.get('login_session_hours'));
    return Number.isInteger(stored) && stored >= 1 && stored <= MAX_LOGIN_SESSION_HOURS ? stored : this.defaults.loginSessionHours;
  }

  async all(): Promise<RuntimeSettingsValues> {
    const [seats, require2fa, loginSessionHours] = await Promise.all([this.seats(), this.require2fa(), this.loginSessionHours()]);
    return { seats, require2fa, loginSessionHours };
  }

  /** Applies a validated subset; returns what changed as `key: old -> new` lines. */
  async update(patch: SettingsPatch): Promise<string[]> {
    const parsed = settingsPatchSchema.safeParse(patch);
    if (!parsed.success) throw new RescueError('INVALID_MESSAGE', parsed.error.issues[0]?.message ?? 'Not a valid setting.');
    const before = await this.all();
    const next = runtimeSettingsSchema.parse({ ...before, ...parsed.data });
    if (next.seats !== before.seats) await this.accounts.setSeats(next.seats);
    if (next.require2fa !== before.require2fa) await this.rows.set('require_2fa', next.require2fa ? '1' : '0');
    if (next.loginSessionHours !== before.loginSessionHours) await this.rows.set('login_session_hours', String(next.loginSessionHours));
    return (Object.keys(next) as (keyof RuntimeSettingsValues)[])
      .filter((key) => next[key] !== before[key])
      .map((key) => `${key}: ${String(before[key] ?? 'unlimited')} -> ${String(next[key] ?? 'unlimited')}`);
  }
}
