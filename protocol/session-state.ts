import { z } from 'zod';

/**
 * The PIN session lifecycle (the transition table lives in signaling/session-state.ts).
 * - pending: code issued, no customer yet.
 * - queued: the customer entered the code and waits in the technician's queue.
 * - active: the technician started it; the server relays signaling between the two.
 * - suspended: one side's signaling socket dropped; the peer connection may go on,
 *   and the side has a grace period to reconnect before the session closes.
 * - closed: ended by either side, by expiry, or by a lost side; final.
 */
export const SESSION_STATES = ['pending', 'queued', 'active', 'suspended', 'closed'] as const;
export const sessionStateSchema = z.enum(SESSION_STATES);
export type SessionState = z.infer<typeof sessionStateSchema>;

/** Why a session closed or changed state; shown to both sides. */
export const SESSION_REASONS = [
  'created',
  'code_entered',
  'activated',
  'technician_ended',
  'customer_ended',
  'code_expired',
  'technician_lost',
  'customer_lost',
  'reconnected',
  'server_shutdown',
  'server_restart',
  'adhoc_expired',
  /** To the technician who handed the session over (the session goes on with the new one). */
  'transferred',
  /** To a colleague who was removed or left (the session goes on with the lead). */
  'colleague_removed',
] as const;
export const sessionReasonSchema = z.enum(SESSION_REASONS);
export type SessionReason = z.infer<typeof sessionReasonSchema>;
