import type { AdminTechnician } from '../../protocol/admin.ts';
import { TaskStore } from '../shared/task-store.ts';
import { adminApi } from './admin-api.ts';

/** The technicians tab: the accounts and what an administrator does to them. UI-free. */
export class TechniciansModel extends TaskStore {
  technicians: AdminTechnician[] = [];
  loaded = false;
  /** What the last action did, in words (announced politely). */
  notice = '';

  async load(): Promise<void> {
    await this.run(async () => {
      this.technicians = await adminApi.technicians();
      this.loaded = true;
    });
  }

  /** Resolves true when the account was created (the form then clears). */
  async create(input: { email: string; name: string; password: string; isAdmin: boolean }): Promise<boolean> {
    return this.act(`Added ${input.email}.`, async () => {
      await adminApi.create(input);
    });
  }

  setDisabled(t: AdminTechnician, disabled: boolean): Promise<boolean> {
    return this.act(`${t.email} is ${disabled ? 'disabled; their consoles were closed' : 'enabled again'}.`, () => adminApi.setDisabled(t.id, disabled));
  }

  remove(t: AdminTechnician): Promise<boolean> {
    return this.act(`Deleted ${t.email}. Their sessions stay in the audit trail.`, () => adminApi.remove(t.id));
  }

  resetPassword(t: AdminTechnician, password: string): Promise<boolean> {
    return this.act(`New password set for ${t.email}; their logins were ended.`, () => adminApi.resetPassword(t.id, password));
  }

  resetTwoFactor(t: AdminTechnician): Promise<boolean> {
    return this.act(`Two-factor login removed for ${t.email}; they can set it up again at their next login.`, () => adminApi.resetTwoFactor(t.id));
  }

  setAdmin(t: AdminTechnician, isAdmin: boolean): Promise<boolean> {
    return this.act(`${t.email} is now ${isAdmin ? 'an administrator' : 'a technician'}.`, () => adminApi.setAdmin(t.id, isAdmin));
  }

  /** Runs one call, then says what it did and reloads the list; false (with `error` set) when it was refused. */
  private async act(done: string, step: () => Promise<unknown>): Promise<boolean> {
    this.notice = '';
    return this.run(async () => {
      await step();
      this.technicians = await adminApi.technicians();
      this.notice = done;
    });
  }
}
