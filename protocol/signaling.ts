import { z } from 'zod';
import { LIMITS } from './limits.ts';
import {
  errorMessageSchema,
  nameSchema,
  pinCodeSchema,
  reasonSchema,
  roleSchema,
  requestId,
  sessionIdSchema,
  timestampSchema,
  tokenSchema,
} from './common.ts';
import { iceConfigSchema, signalDataSchema } from './ice.ts';
import { sessionReasonSchema, sessionStateSchema } from './session-state.ts';
import { typesOf } from './parse.ts';
import { secondFactorFields } from './two-factor.ts';
import {
  colleagueAnswer,
  colleagueControl,
  colleagueInvite,
  colleagueRemove,
  colleagueStateMsg,
  sessionTransfer,
  sessionTransferred,
  technicianOnline,
  technicianOnlineReply,
} from './handover.ts';

/**
 * Signaling WebSocket messages. Technicians connect to /ws/technician (session
 * cookie + Origin checked at upgrade); customers (browser page or agent) to
 * /ws/customer and authenticate with a code or a session token in the first message.
 */

export const clientKindSchema = z.enum(['browser', 'agent']);
export type ClientKind = z.infer<typeof clientKindSchema>;

/** Audit events a peer reports about what happened on the peer-to-peer channels. */
export const AUDIT_EVENTS = [
  'session.created',
  'code.entered',
  'session.activated',
  'session.suspended',
  'session.resumed',
  'session.ended',
  'permission.requested',
  'permission.granted',
  'permission.denied',
  'permission.revoked',
  'file.sent',
  'file.received',
  'file.failed',
  'connection.path',
  'adhoc.created',
  'adhoc.paired',
  'adhoc.connected',
  'adhoc.auth_failed',
  'adhoc.ended',
  'session.transferred',
  'colleague.invited',
  'colleague.joined',
  'colleague.declined',
  'colleague.removed',
  'colleague.control',
] as const;
export const auditEventSchema = z.enum(AUDIT_EVENTS);
export type AuditEvent = z.infer<typeof auditEventSchema>;
/** The events a client may report; the others only the server writes. */
export const REPORTABLE_AUDIT_EVENTS = [
  'permission.requested',
  'permission.granted',
  'permission.denied',
  'permission.revoked',
  'file.sent',
  'file.received',
  'file.failed',
  'connection.path',
] as const satisfies readonly AuditEvent[];
export const reportableAuditEventSchema = z.enum(REPORTABLE_AUDIT_EVENTS);
export type ReportableAuditEvent = z.infer<typeof reportableAuditEventSchema>;

export const sessionSummarySchema = z.strictObject({
  sessionId: sessionIdSchema,
  state: sessionStateSchema,
  /** Present for the owning technician while the session is pending. */
  code: pinCodeSchema.optional(),
  createdAt: timestampSchema,
  /** When the code expires (pending) or null once a customer joined. */
  codeExpiresAt: timestampSchema.nullable(),
  customer: z
    .strictObject({
      kind: clientKindSchema,
      address: z.string().max(64),
      joinedAt: timestampSchema,
      /** The name the customer gave (agent `--name`, the support page's name field), cleaned by the server. */
      name: nameSchema.optional(),
      /** The code the customer entered. */
      code: pinCodeSchema.optional(),
    })
    .nullable(),
  forceRelay: z.boolean(),
  reason: sessionReasonSchema.optional(),
});
export type SessionSummary = z.infer<typeof sessionSummarySchema>;

// Client -> server.

const sessionCreate = z.strictObject({
  type: z.literal('session.create'),
  id: requestId,
  forceRelay: z.boolean().optional(),
});
const sessionList = z.strictObject({ type: z.literal('session.list'), id: requestId });
const sessionActivate = z.strictObject({ type: z.literal('session.activate'), id: requestId, sessionId: sessionIdSchema });
const sessionEnd = z.strictObject({
  type: z.literal('session.end'),
  id: requestId,
  sessionId: sessionIdSchema,
  reason: reasonSchema.optional(),
});
/**
 * `lane: 'colleague'` carries the signals between the lead's console and an
 * approved colleague's (the colleague sees the screen through the lead's
 * console: docs/decisions.md); without it, between the customer and the lead.
 */
const signal = z.strictObject({ type: z.literal('signal'), sessionId: sessionIdSchema, lane: z.literal('colleague').optional(), data: signalDataSchema });
const sessionEvent = z.strictObject({
  type: z.literal('session.event'),
  id: requestId,
  sessionId: sessionIdSchema,
  event: reportableAuditEventSchema,
  detail: z.string().max(LIMITS.auditDetailChars),
});
/** Asks for fresh ICE servers (TURN credentials are short-lived), e.g. before an ICE restart. */
const iceRefresh = z.strictObject({ type: z.literal('ice.refresh'), id: requestId, sessionId: sessionIdSchema });
/** The name a customer gives; may be empty (no name). The server cleans it (`cleanDisplayName`) before anyone sees it. */
export const customerNameSchema = z.string().max(LIMITS.nameChars);
const codeSubmit = z.strictObject({
  type: z.literal('code.submit'),
  id: requestId,
  code: pinCodeSchema,
  client: clientKindSchema,
  name: customerNameSchema.optional(),
});
const customerResume = z.strictObject({
  type: z.literal('customer.resume'),
  id: requestId,
  token: tokenSchema,
  client: clientKindSchema,
  /** Kept only when the session has no name yet (the support app resuming after the page). */
  name: customerNameSchema.optional(),
});

export const TECHNICIAN_MESSAGES = [
  sessionCreate,
  sessionList,
  sessionActivate,
  sessionEnd,
  signal,
  sessionEvent,
  iceRefresh,
  technicianOnline,
  sessionTransfer,
  colleagueInvite,
  colleagueControl,
  colleagueRemove,
] as const;
export const technicianMessageSchema = z.discriminatedUnion('type', TECHNICIAN_MESSAGES);
export type TechnicianMessage = z.infer<typeof technicianMessageSchema>;
export const TECHNICIAN_MESSAGE_TYPES = typesOf(TECHNICIAN_MESSAGES);

export const CUSTOMER_MESSAGES = [codeSubmit, customerResume, sessionEnd, signal, sessionEvent, iceRefresh, colleagueAnswer, colleagueRemove] as const;
export const customerMessageSchema = z.discriminatedUnion('type', CUSTOMER_MESSAGES);
export type CustomerMessage = z.infer<typeof customerMessageSchema>;
export const CUSTOMER_MESSAGE_TYPES = typesOf(CUSTOMER_MESSAGES);

// Server -> client.

const welcome = z.strictObject({
  type: z.literal('welcome'),
  role: roleSchema,
  technician: z.strictObject({ id: z.string().max(64), name: nameSchema, email: z.string().max(LIMITS.emailChars) }).optional(),
  /** The server pings this often; a client that misses two is dropped. */
  heartbeatMs: z.number().int().positive(),
  /** How long a side whose socket dropped may take to come back before its session closes. */
  reconnectGraceSeconds: z.number().int().positive().optional(),
  serverVersion: z.string().max(40),
});
const sessionCreated = z.strictObject({
  type: z.literal('session.created'),
  ref: z.string().max(LIMITS.requestIdChars).optional(),
  session: sessionSummarySchema,
});
const sessionListReply = z.strictObject({
  type: z.literal('session.list'),
  ref: z.string().max(LIMITS.requestIdChars).optional(),
  sessions: z.array(sessionSummarySchema).max(LIMITS.sessionsPerList),
});
const codeAccepted = z.strictObject({
  type: z.literal('code.accepted'),
  ref: z.string().max(LIMITS.requestIdChars).optional(),
  sessionId: sessionIdSchema,
  /** Lets the customer reconnect (customer.resume) without the code, which is single use. */
  token: tokenSchema,
  /** The technician's name and login (email) as the server's account holds them: what the customer is shown, never a name from the peer. */
  technicianName: nameSchema,
  technicianEmail: z.string().max(LIMITS.emailChars),
  state: sessionStateSchema,
});
const sessionStateMsg = z.strictObject({
  type: z.literal('session.state'),
  sessionId: sessionIdSchema,
  state: sessionStateSchema,
  reason: sessionReasonSchema,
  /**
   * To the lead's console, when its queue entry changed beyond the state (a
   * customer entered the code; their client or name changed): the entry as it
   * is now, so the console replaces it instead of asking for the whole
   * `session.list` (none is pushed). Never sent to a customer or a colleague.
   */
  session: sessionSummarySchema.optional(),
});
const sessionActivated = z.strictObject({
  type: z.literal('session.activated'),
  /** To the lead who sent `session.activate`: its request id (this is the reply, there is no separate `ack`). */
  ref: z.string().max(LIMITS.requestIdChars).optional(),
  sessionId: sessionIdSchema,
  role: roleSchema,
  /** Perfect negotiation: the customer is polite, the technician is not. */
  polite: z.boolean(),
  peerName: nameSchema,
  ice: iceConfigSchema,
  /** To an approved colleague: whose session this is (they see it through the lead's console). */
  leadName: nameSchema.optional(),
});
const iceConfigMsg = z.strictObject({
  type: z.literal('ice.config'),
  ref: z.string().max(LIMITS.requestIdChars).optional(),
  sessionId: sessionIdSchema,
  ice: iceConfigSchema,
});
const ack = z.strictObject({ type: z.literal('ack'), ref: z.string().max(LIMITS.requestIdChars) });

export const SERVER_MESSAGES = [
  welcome,
  sessionCreated,
  sessionListReply,
  codeAccepted,
  sessionStateMsg,
  sessionActivated,
  iceConfigMsg,
  signal,
  ack,
  errorMessageSchema,
  technicianOnlineReply,
  sessionTransferred,
  colleagueStateMsg,
] as const;
export const serverMessageSchema = z.discriminatedUnion('type', SERVER_MESSAGES);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export const SERVER_MESSAGE_TYPES = typesOf(SERVER_MESSAGES);

/** HTTP: POST /api/code {code, client} answers with codeAcceptedHttpSchema (the WebSocket's code.accepted, minus type). */
export const codeSubmitHttpSchema = z.strictObject({ code: pinCodeSchema, client: clientKindSchema.default('browser'), name: customerNameSchema.optional() });
/** HTTP: POST /api/login; `totp` or `recoveryCode` once the account uses two-factor login (protocol/two-factor.ts). */
export const loginHttpSchema = z.strictObject({
  email: z.string().min(1).max(LIMITS.emailChars),
  password: z.string().min(1).max(LIMITS.passwordChars),
  ...secondFactorFields,
});
/** HTTP: the reply to POST /api/code. */
export const codeAcceptedHttpSchema = codeAccepted.omit({ type: true, ref: true });
export type CodeAcceptedHttp = z.infer<typeof codeAcceptedHttpSchema>;
