import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger; children carry `{sessionId, role}` (STYLE.md: one child per session). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { svc: 'signaling' } });
}

export function sessionLogger(parent: Logger, sessionId: string, role: 'technician' | 'customer' | 'server'): Logger {
  return parent.child({ sessionId, role });
}
