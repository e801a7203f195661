import type { ActionPage, RuntimeSettingsValues, SettingsPatch, StartupFacts } from '../../protocol/admin.ts';
import { TaskStore } from '../shared/task-store.ts';
import { adminApi } from './admin-api.ts';
import { PagedStore } from './keyset-pager.ts';

/** The settings tab: what may change at run time, and the facts fixed at start. UI-free. */
export class SettingsModel extends TaskStore {
  settings: RuntimeSettingsValues | null = null;
  facts: StartupFacts | null = null;
  saved = false;

  async load(): Promise<void> {
    await this.run(async () => {
      ({ settings: this.settings, facts: this.facts } = await adminApi.settings());
    });
  }

  async save(patch: SettingsPatch): Promise<void> {
    this.saved = false;
    this.saved = await this.run(async () => {
      this.settings = await adminApi.updateSettings(patch);
    });
    this.changed();
  }
}

/** The administration log tab, newest first, in keyset pages. UI-free. */
export class ActionsModel extends PagedStore<ActionPage> {
  protected fetchPage(cursor: string | undefined): Promise<ActionPage> {
    return adminApi.actions(cursor);
  }
}
