import { z } from 'zod';
import { nameSchema, reasonSchema, requestId, sessionIdSchema } from './common.ts';
import { LIMITS } from './limits.ts';

/**
 * Handing a PIN session to a colleague (transfer) and bringing one in
 * (collaboration). The server names every technician from its accounts, never
 * from what a client claims; the customer's end decides what the new or
 * second technician may see.
 */

/** A technician as the server's account holds them. */
export const technicianRefSchema = z.strictObject({
  id: z.string().min(1).max(64),
  name: nameSchema,
  email: z.string().max(LIMITS.emailChars),
});
export type TechnicianRef = z.infer<typeof technicianRefSchema>;

// Technician -> server.

/** The other technicians whose console is online now (transfer and invite targets). */
export const technicianOnline = z.strictObject({ type: z.literal('technician.online'), id: requestId });
/** The session's technician hands it to another online technician; the customer is told first and asked again for every permission. */
export const sessionTransfer = z.strictObject({
  type: z.literal('session.transfer'),
  id: requestId,
  sessionId: sessionIdSchema,
  technicianId: z.string().min(1).max(64),
  note: reasonSchema.optional(),
});
/** The session's technician (the lead) invites an online colleague; the customer approves them by name. */
export const colleagueInvite = z.strictObject({
  type: z.literal('colleague.invite'),
  id: requestId,
  sessionId: sessionIdSchema,
  technicianId: z.string().min(1).max(64),
});
/** The lead hands remote control to the colleague (true) or takes it back (false). */
export const colleagueControl = z.strictObject({
  type: z.literal('colleague.control'),
  id: requestId,
  sessionId: sessionIdSchema,
  granted: z.boolean(),
});

// Customer -> server.

/** The customer's answer to `colleague.invited`. */
export const colleagueAnswer = z.strictObject({
  type: z.literal('colleague.answer'),
  id: requestId,
  sessionId: sessionIdSchema,
  accept: z.boolean(),
});

// Both: the lead or the customer removes the colleague; the colleague leaves.
export const colleagueRemove = z.strictObject({ type: z.literal('colleague.remove'), id: requestId, sessionId: sessionIdSchema });

// Server -> clients.

export const technicianOnlineReply = z.strictObject({
  type: z.literal('technician.online'),
  ref: z.string().max(LIMITS.requestIdChars).optional(),
  technicians: z.array(technicianRefSchema).max(LIMITS.sessionsPerList),
});
/** To the customer, before anything changes: who takes over (as the server knows them), and the note. */
export const sessionTransferred = z.strictObject({
  type: z.literal('session.transferred'),
  sessionId: sessionIdSchema,
  technicianName: nameSchema,
  technicianEmail: z.string().max(LIMITS.emailChars),
  previousName: nameSchema,
  note: reasonSchema.optional(),
});

export const COLLEAGUE_STATES = ['invited', 'joined', 'declined', 'removed', 'control', 'control_returned'] as const;
export const colleagueStateSchema = z.enum(COLLEAGUE_STATES);
export type ColleagueState = z.infer<typeof colleagueStateSchema>;

/** To the customer (to approve) and to the lead and the colleague: where the colleague stands. */
export const colleagueStateMsg = z.strictObject({
  type: z.literal('colleague.state'),
  sessionId: sessionIdSchema,
  state: colleagueStateSchema,
  colleague: technicianRefSchema,
  /** The lead's name (for the colleague's and the customer's text). */
  leadName: nameSchema,
});


/** What the customer is told when the session goes to another technician (the page and the support window say the same). */
export function transferNoticeText(m: Pick<z.infer<typeof sessionTransferred>, 'technicianName' | 'technicianEmail' | 'previousName' | 'note'>): string {
  const note = m.note ? ` Note: "${m.note}"` : '';
  return `${m.previousName} handed your session to ${m.technicianName} (${m.technicianEmail}). ${m.technicianName} has to ask you again before seeing your screen.${note}`;
}
