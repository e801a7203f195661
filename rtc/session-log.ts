import type { Role } from '../protocol/common.ts';
import { Emitter } from './emitter.ts';

export type LogActor = Role | 'system';

/** One line of the session log both UIs render. */
export type LogEntry = {
  /** Milliseconds since the epoch. */
  at: number;
  actor: LogActor;
  /** A short machine-readable kind, e.g. 'chat', 'permission', 'file', 'connection'. */
  kind: string;
  text: string;
};

export type SessionLogEvents = { entry: LogEntry };

/** An in-memory, bounded session log (oldest entries drop first). */
export class SessionLog extends Emitter<SessionLogEvents> {
  private readonly list: LogEntry[] = [];

  constructor(
    private readonly maxEntries = 2000,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  add(actor: LogActor, kind: string, text: string, at: number = this.now()): LogEntry {
    const entry: LogEntry = { at, actor, kind, text };
    this.list.push(entry);
    if (this.list.length > this.maxEntries) this.list.splice(0, this.list.length - this.maxEntries);
    this.emit('entry', entry);
    return entry;
  }

  /** A copy of the entries, oldest first. */
  entries(): LogEntry[] {
    return [...this.list];
  }

  get size(): number {
    return this.list.length;
  }

  clear(): void {
    this.list.length = 0;
  }
}
