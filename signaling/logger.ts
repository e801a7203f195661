import { pino, type Bindings, type Logger } from 'pino';
import { prettyDestination } from './log-format.ts';

export type { Logger };

/** What sockets and sessions log with: a pino Logger, or a lazyChild of one. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface LogOutput {
  /** `pretty`: readable lines (signaling/log-format.ts); `json`: one pino JSON object a line. */
  format: 'pretty' | 'json';
  /** ANSI colours in pretty lines. */
  colour?: boolean;
}

/** The process logger; children carry `{sessionId, role}` (STYLE.md: one child per session). */
export function createLogger(level: string, output: LogOutput = { format: 'json' }): Logger {
  const options = { level, base: { svc: 'signaling' } };
  if (output.format === 'pretty') return pino(options, prettyDestination(process.stdout, output.colour ?? false));
  return pino(options);
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * `parent.child(bindings)`, made when it first writes a line at an enabled
 * level: the same lines, but a socket or session that logs nothing at the
 * configured level costs one small object instead of a pino child (one per
 * socket and per session was 1% of the server's CPU under the signaling bench,
 * and memory held by every idle connection).
 */
class LazyChild implements Log {
  private child: Logger | null = null;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  debug(...args: unknown[]): void {
    this.write('debug', args);
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  private write(level: Level, args: unknown[]): void {
    if (!this.parent.isLevelEnabled(level)) return;
    this.child ??= this.parent.child(this.bindings);
    const write: (...a: unknown[]) => void = this.child[level].bind(this.child);
    write(...args);
  }
}

/** A child logger with `bindings`, created only when a line is logged (see LazyChild). */
export function lazyChild(parent: Logger, bindings: Bindings): Log {
  return new LazyChild(parent, bindings);
}

export function sessionLogger(parent: Logger, sessionId: string, role: 'technician' | 'customer' | 'server'): Log {
  return lazyChild(parent, { sessionId, role });
}
