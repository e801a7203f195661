import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { emailSchema, errorMessageSchema, nameSchema, requestId, roleSchema, timestampSchema, tokenSchema } from './common.ts';
import { iceConfigSchema, signalDataSchema } from './ice.ts';
import { typesOf } from './parse.ts';

/**
 * Ad hoc (unattended) support: wire messages of `/ws/adhoc/technician` and
 * `/ws/adhoc/agent`, the HTTP bodies of `/api/adhoc/...`, and the password rules
 * that the console and the agent both apply. See docs/adhoc.md.
 */

/**
 * prepared -> downloaded -> code_entered -> paired -> ended | expired.
 * Any state before `paired` may also end (the technician ends it) or expire (unused).
 */
export const ADHOC_STATES = ['prepared', 'downloaded', 'code_entered', 'paired', 'ended', 'expired'] as const;
export const adhocStateSchema = z.enum(ADHOC_STATES);
export type AdhocState = z.infer<typeof adhocStateSchema>;
/** States in which the session holds the technician's seat. */
export const ADHOC_LIVE_STATES: readonly AdhocState[] = ['prepared', 'downloaded', 'code_entered', 'paired'];

/** How long the computer stays paired, from activation. */
export const ADHOC_VALIDITY_MS = 24 * 60 * 60 * 1000;

export const adhocIdSchema = z.string().regex(/^ah_[A-Za-z0-9_-]{16,64}$/, 'not an ad hoc session id');
export const connectionIdSchema = z.string().regex(/^ac_[A-Za-z0-9_-]{16,64}$/, 'not a connection id');
/** 9 digits; shown as 123-456-789, typed with or without the dashes. */
export const securityCodeSchema = z
  .string()
  .max(20)
  .transform((s) => s.replace(/[\s-]/g, ''))
  .pipe(z.string().regex(/^\d{9}$/, 'a security code is 9 digits'));
export const computerNameSchema = z.string().min(1).max(LIMITS.nameChars);

export const adhocSummarySchema = z.strictObject({
  adhocId: adhocIdSchema,
  state: adhocStateSchema,
  email: z.string().max(LIMITS.emailChars),
  createdAt: timestampSchema,
  activatedAt: timestampSchema.nullable(),
  /** activatedAt + 24 h once paired; before that, when the unused preparation lapses. */
  expiresAt: timestampSchema,
  computerName: z.string().max(LIMITS.nameChars).nullable(),
  /** Whether the agent's presence socket is connected now. */
  online: z.boolean(),
  /** When the current security code stops working (null once used). */
  securityCodeExpiresAt: timestampSchema.nullable(),
});
export type AdhocSummary = z.infer<typeof adhocSummarySchema>;

// HTTP.

/** POST /api/adhoc/sessions. The password is never part of it. */
export const adhocCreateHttpSchema = z.strictObject({ email: emailSchema });
/** The reply to create and to POST /api/adhoc/sessions/:id/code: the security code is shown once. */
export const adhocCreatedHttpSchema = z.strictObject({
  session: adhocSummarySchema,
  deploymentUrl: z.string().max(LIMITS.urlChars),
  securityCode: z.string().regex(/^\d{3}-\d{3}-\d{3}$/),
  /** 'smtp' when the email was handed to the SMTP server; 'outbox' when written to the outbox folder. */
  delivery: z.enum(['smtp', 'outbox', 'none']),
});
export type AdhocCreatedHttp = z.infer<typeof adhocCreatedHttpSchema>;

// Technician <-> server (/ws/adhoc/technician, rr_session cookie + Origin checked at upgrade).

const adhocList = z.strictObject({ type: z.literal('adhoc.list'), id: requestId });
/** Opens one connection to a paired computer (or, before pairing, the pairing connection). */
const adhocConnect = z.strictObject({ type: z.literal('adhoc.connect'), id: requestId, adhocId: adhocIdSchema });
const adhocSignal = z.strictObject({ type: z.literal('adhoc.signal'), connectionId: connectionIdSchema, data: signalDataSchema });
/** Ends one connection; the ad hoc session goes on. */
const adhocDisconnect = z.strictObject({
  type: z.literal('adhoc.disconnect'),
  id: requestId,
  connectionId: connectionIdSchema,
});
/** Ends the ad hoc session: the agent unpairs, deletes its files and exits. */
const adhocEnd = z.strictObject({ type: z.literal('adhoc.end'), id: requestId, adhocId: adhocIdSchema });

export const ADHOC_TECHNICIAN_MESSAGES = [adhocList, adhocConnect, adhocSignal, adhocDisconnect, adhocEnd] as const;
export const adhocTechnicianMessageSchema = z.discriminatedUnion('type', ADHOC_TECHNICIAN_MESSAGES);
export type AdhocTechnicianMessage = z.infer<typeof adhocTechnicianMessageSchema>;
export const ADHOC_TECHNICIAN_MESSAGE_TYPES = typesOf(ADHOC_TECHNICIAN_MESSAGES);

// Agent <-> server (/ws/adhoc/agent, no cookie: the deployment token, then the agent token).

/** First message of a fresh agent: marks the session `downloaded`. */
const agentHello = z.strictObject({ type: z.literal('adhoc.hello'), id: requestId, deploymentToken: tokenSchema });
const agentCode = z.strictObject({
  type: z.literal('adhoc.code'),
  id: requestId,
  deploymentToken: tokenSchema,
  code: securityCodeSchema,
  computerName: computerNameSchema,
});
/** First message of an agent that already has its agent token (reconnects, service restarts). */
const agentResume = z.strictObject({ type: z.literal('adhoc.resume'), id: requestId, agentToken: tokenSchema });
/** The agent stored the password hash (auth setup succeeded on the pairing connection). */
const agentPaired = z.strictObject({ type: z.literal('adhoc.paired'), id: requestId });
/** The outcome of one password proof, for the audit log. */
const agentAuth = z.strictObject({ type: z.literal('adhoc.auth'), connectionId: connectionIdSchema, ok: z.boolean() });

export const ADHOC_AGENT_MESSAGES = [agentHello, agentCode, agentResume, agentPaired, agentAuth, adhocSignal, adhocDisconnect] as const;
export const adhocAgentMessageSchema = z.discriminatedUnion('type', ADHOC_AGENT_MESSAGES);
export type AdhocAgentMessage = z.infer<typeof adhocAgentMessageSchema>;
export const ADHOC_AGENT_MESSAGE_TYPES = typesOf(ADHOC_AGENT_MESSAGES);

// Server -> technician / agent.

const refField = z.string().max(LIMITS.requestIdChars).optional();
const adhocUpdate = z.strictObject({ type: z.literal('adhoc.update'), session: adhocSummarySchema });
const adhocListReply = z.strictObject({
  type: z.literal('adhoc.list'),
  ref: refField,
  sessions: z.array(adhocSummarySchema).max(LIMITS.sessionsPerList),
});
const adhocConnection = z.strictObject({
  type: z.literal('adhoc.connection'),
  ref: refField,
  adhocId: adhocIdSchema,
  connectionId: connectionIdSchema,
  role: roleSchema,
  /** Perfect negotiation: the agent is polite, the technician is not. */
  polite: z.boolean(),
  peerName: nameSchema,
  ice: iceConfigSchema,
});
const adhocCodeRequired = z.strictObject({
  type: z.literal('adhoc.code_required'),
  ref: refField,
  technicianName: nameSchema,
});
const adhocCodeAccepted = z.strictObject({
  type: z.literal('adhoc.code_accepted'),
  ref: refField,
  adhocId: adhocIdSchema,
  agentToken: tokenSchema,
  technicianName: nameSchema,
  /** The technician must complete the password setup before this, or the pairing is abandoned. */
  pairingDeadline: timestampSchema,
});
const adhocWelcome = z.strictObject({
  type: z.literal('adhoc.welcome'),
  ref: refField,
  adhocId: adhocIdSchema,
  state: adhocStateSchema,
  technicianName: nameSchema,
  expiresAt: timestampSchema,
});
const adhocActivated = z.strictObject({
  type: z.literal('adhoc.activated'),
  ref: refField,
  adhocId: adhocIdSchema,
  expiresAt: timestampSchema,
});
const adhocEnded = z.strictObject({
  type: z.literal('adhoc.ended'),
  adhocId: adhocIdSchema,
  reason: z.enum(['expired', 'technician_ended', 'pairing_abandoned']),
});
const ack = z.strictObject({ type: z.literal('ack'), ref: z.string().max(LIMITS.requestIdChars) });

export const ADHOC_SERVER_MESSAGES = [
  adhocUpdate,
  adhocListReply,
  adhocConnection,
  adhocCodeRequired,
  adhocCodeAccepted,
  adhocWelcome,
  adhocActivated,
  adhocEnded,
  adhocSignal,
  adhocDisconnect,
  ack,
  errorMessageSchema,
] as const;
export const adhocServerMessageSchema = z.discriminatedUnion('type', ADHOC_SERVER_MESSAGES);
export type AdhocServerMessage = z.infer<typeof adhocServerMessageSchema>;
export const ADHOC_SERVER_MESSAGE_TYPES = typesOf(ADHOC_SERVER_MESSAGES);

// Password rules, the same in the console (meter) and the agent (re-check at setup).

export const PASSWORD_MIN_CHARS = 12;

/** A short list of the most common passwords and their stems; matching is case-insensitive on letters only. */
const COMMON_STEMS = [
  'password', 'passwort', 'qwerty', 'azerty', 'letmein', 'welcome', 'admin', 'iloveyou', 'monkey', 'dragon',
  'master', 'sunshine', 'princess', 'football', 'baseball', 'shadow', 'superman', 'trustno', 'changeme',
  'secret', 'login', 'abc', 'qwertz', 'asdf', 'zxcv', 'test', 'relay', 'rescue', 'support',
];

export interface PasswordStrength {
  ok: boolean;
  /** 0 (useless) to 4 (strong); ok needs 3. */
  score: 0 | 1 | 2 | 3 | 4;
  /** Rough guesses needed, as bits, after the penalties below. */
  bits: number;
  problems: string[];
}

/**
 * A deliberately simple estimate: pool size from the character classes used,
 * times the length, minus penalties for repeats, runs and common words. It is
 * not zxcvbn; it rejects the obvious and rewards length.
 */
export function checkPasswordStrength(password: string): PasswordStrength {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN_CHARS) problems.push(`Use at least ${PASSWORD_MIN_CHARS} characters.`);
  if (password.length > LIMITS.passwordChars) problems.push(`Use at most ${LIMITS.passwordChars} characters.`);
  let pool = 0;
  if (/[a-z]/.test(password)) pool += 26;
  if (/[A-Z]/.test(password)) pool += 26;
  if (/[0-9]/.test(password)) pool += 10;
  if (/[^A-Za-z0-9]/.test(password)) pool += 33;
  // Count characters that add information: not a repeat or a +-1 step of the previous one.
  let effective = 0;
  const chars = [...password];
  for (let i = 0; i < chars.length; i++) {
    const cur = chars[i]!.codePointAt(0)!;
    const prev = i > 0 ? chars[i - 1]!.codePointAt(0)! : -10;
    effective += Math.abs(cur - prev) <= 1 ? 0.25 : 1;
  }
  const distinct = new Set(chars).size;
  if (distinct < Math.min(6, chars.length)) problems.push('Use more different characters.');
  const letters = password.toLowerCase().replace(/[^a-z]/g, '');
  const leet = password.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l').replace(/3/g, 'e').replace(/4/g, 'a').replace(/[5$]/g, 's').replace(/@/g, 'a');
  let commonChars = 0;
  for (const stem of COMMON_STEMS) {
    if (letters.includes(stem) || leet.includes(stem)) commonChars += stem.length;
  }
  if (commonChars > 0 && commonChars >= letters.length - 2) problems.push('Avoid common words and keyboard patterns.');
  effective = Math.max(0, effective - commonChars * 0.75);
  const bits = Math.round(effective * Math.log2(Math.max(pool, 1)));
  const score: PasswordStrength['score'] = bits < 28 ? 0 : bits < 45 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4;
  if (score < 3 && problems.length === 0) problems.push('Make it longer or mix letters, digits and symbols.');
  return { ok: problems.length === 0 && score >= 3, score, bits, problems };
}

const GENERATOR_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random password of four dash-separated groups of five (about 116 bits). `random` is injected (WebCrypto). */
export function generatePassword(random: (bytes: Uint8Array) => Uint8Array): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let group = '';
    while (group.length < 5) {
      const byte = random(new Uint8Array(1))[0]!;
      // Rejection sampling keeps every character equally likely.
      if (byte < 256 - (256 % GENERATOR_ALPHABET.length)) group += GENERATOR_ALPHABET[byte % GENERATOR_ALPHABET.length];
    }
    groups.push(group);
  }
  return groups.join('-');
}

/** Formats 9 digits as 123-456-789. */
export function formatSecurityCode(digits: string): string {
  return `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6, 9)}`;
}
