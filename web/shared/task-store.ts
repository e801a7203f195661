import { messageOf } from './api.ts';
import { Store } from './store.ts';

/** A store whose actions are server calls: `busy` while one runs, `error` with the message of the last refusal. */
export class TaskStore extends Store {
  busy = false;
  error = '';

  /** Runs one step; false (with `error` set) when it threw. */
  protected async run(step: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.error = '';
    this.changed();
    try {
      await step();
      return true;
    } catch (error) {
      this.error = messageOf(error);
      return false;
    } finally {
      this.busy = false;
      this.changed();
    }
  }
}
