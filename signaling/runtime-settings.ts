import { MAX_LOGIN_SESSION_HOURS, RescueError, runtimeSettingsSchema, settingsPatchSchema, type RuntimeSettingsValues, type SettingsPatch } from '../protocol/index.ts';
import type { AccountStore } from './accounts.ts';
import type { Db } from './db.ts';

/**
 * The settings an administrator may change while the server runs, in the
 * `settings` table so the CLI, the page and every server on the database see
 * one value. Each read goes to the database (one indexed row), so a change
 * made by another process applies at the next request.
 */
export class RuntimeSettings {
  private readonly read;
  private readonly write;

  constructor(
    db: Db,
    private readonly accounts: AccountStore,
    private readonly defaults: { loginSessionHours: number },
  ) {
    this.read = db.prepare('SELECT value FROM settings WHERE key = ?');
    this.write = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  }

  get seats(): number | null {
    return this.accounts.getSeats();
  }

  get require2fa(): boolean {
    return this.value('require_2fa') === '1';
  }

  get loginSessionHours(): number {
    const stored = Number(this.value('login_session_hours'));
    return Number.isInteger(stored) && stored >= 1 && stored <= MAX_LOGIN_SESSION_HOURS ? stored : this.defaults.loginSessionHours;
  }

  all(): RuntimeSettingsValues {
    return { seats: this.seats, require2fa: this.require2fa, loginSessionHours: this.loginSessionHours };
  }

  /** Applies a validated subset; returns what changed as `key: old -> new` lines. */
  update(patch: SettingsPatch): string[] {
    const parsed = settingsPatchSchema.safeParse(patch);
    if (!parsed.success) throw new RescueError('INVALID_MESSAGE', parsed.error.issues[0]?.message ?? 'Not a valid setting.');
    const before = this.all();
    const next = runtimeSettingsSchema.parse({ ...before, ...parsed.data });
    if (next.seats !== before.seats) this.accounts.setSeats(next.seats);
    if (next.require2fa !== before.require2fa) this.write.run('require_2fa', next.require2fa ? '1' : '0');
    if (next.loginSessionHours !== before.loginSessionHours) this.write.run('login_session_hours', String(next.loginSessionHours));
    return (Object.keys(next) as (keyof RuntimeSettingsValues)[])
      .filter((key) => next[key] !== before[key])
      .map((key) => `${key}: ${String(before[key] ?? 'unlimited')} -> ${String(next[key] ?? 'unlimited')}`);
  }

  private value(key: string): string | undefined {
    return (this.read.get(key) as { value: string } | undefined)?.value;
  }
}
