import { pino, type Logger } from 'pino';
import { prettyDestination } from './log-format.ts';

export type { Logger };

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

export function sessionLogger(parent: Logger, sessionId: string, role: 'technician' | 'customer' | 'server'): Logger {
  return parent.child({ sessionId, role });
}
