import type { SessionReason } from '../protocol/session-state.ts';
import type { EngineClosed } from './support-engine.ts';

/** What the technician is told when a session ends, in plain words (the console's tab, the engine's log). */
const TECHNICIAN_TEXT: Partial<Record<SessionReason, string>> = {
  technician_ended: 'You ended the session.',
  customer_ended: 'The customer ended the session.',
  customer_lost: 'The customer did not come back in time.',
  technician_lost: 'Your connection was lost for too long.',
  code_expired: 'The code expired.',
  server_shutdown: 'The server shut down.',
  transferred: 'You transferred the session; you no longer have any access to it.',
  colleague_removed: 'You are no longer in this session.',
};

/** What the customer is told (the support page, the support app's window and terminal). */
const CUSTOMER_TEXT: Partial<Record<SessionReason, string>> = {
  technician_ended: 'Your technician ended the session.',
  customer_ended: 'You ended the session.',
  technician_lost: 'Your technician was disconnected.',
  customer_lost: 'You were disconnected for too long, so the session ended.',
  code_expired: 'The code expired.',
  server_shutdown: 'The server shut down.',
};

export function technicianClosedText(c: EngineClosed): string {
  if (c.cause === 'server') return TECHNICIAN_TEXT[c.reason] ?? `The session ended (${c.reason}).`;
  return c.cause === 'peer' ? 'The customer ended the session.' : 'You ended the session.';
}

export function customerClosedText(c: EngineClosed): string {
  if (c.cause === 'server') return CUSTOMER_TEXT[c.reason] ?? 'The session has ended.';
  return c.cause === 'peer' ? 'Your technician ended the session.' : 'You ended the session.';
}

/** The customer's text for a session that closed at the server (`session.state` closed), before any engine exists. */
export function customerReasonText(reason: SessionReason): string {
  return CUSTOMER_TEXT[reason] ?? 'The session has ended.';
}
