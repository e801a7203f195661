import { rmSync } from 'node:fs';
import { sanitizeTerminalText } from '../protocol/sanitize-terminal-text.ts';

/**
 * Every temporary file and directory the agent creates is registered here and
 * removed when the agent exits: on a normal end of session, on SIGINT/SIGTERM/
 * SIGHUP, and on an uncaught error. Removal is synchronous so it also works
 * from the `exit` handler.
 */
export class Cleanup {
  private readonly paths = new Set<string>();
  private readonly tasks: (() => void)[] = [];
  private installed = false;
  private done = false;

  /** Registers a temporary path (file or directory) to delete at exit. */
  track(path: string): string {
    this.paths.add(path);
    return path;
  }

  /** A path that became permanent (e.g. a finished download) or was already removed. */
  untrack(path: string): void {
    this.paths.delete(path);
  }

  /** A synchronous step to run before paths are removed (stop a child process, release keys). */
  onExit(task: () => void): void {
    this.tasks.push(task);
  }

  tracked(): string[] {
    return [...this.paths];
  }

  /** Runs every task and removes every tracked path; idempotent. */
  runNow(): void {
    if (this.done) return;
    this.done = true;
    for (const task of this.tasks.splice(0).reverse()) {
      try {
        task();
      } catch {
        // Keep cleaning up.
      }
    }
    for (const path of this.paths) {
      try {
        rmSync(path, { recursive: true, force: true });
      } catch {
        // Nothing more to do for this one.
      }
    }
    this.paths.clear();
  }

  /** Installs process handlers: exit, signals (exit code 128+n) and uncaught errors (exit code 1). */
  install(log: (message: string) => void = (m) => process.stderr.write(`${m.split('\n').map((l) => sanitizeTerminalText(l)).join('\n')}\n`)): void {
    if (this.installed) return;
    this.installed = true;
    process.once('exit', () => this.runNow());
    for (const [signal, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
      process.once(signal, () => {
        this.runNow();
        process.exit(128 + n);
      });
    }
    const fatal = (err: unknown): void => {
      log(`agent: fatal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.runNow();
      process.exit(1);
    };
    process.once('uncaughtException', fatal);
    process.once('unhandledRejection', fatal);
  }
}
