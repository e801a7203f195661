import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { errorCodeSchema, nameSchema } from './common.ts';
import { adhocSummarySchema } from './adhoc.ts';
import { twoFactorStatusSchema } from './two-factor.ts';

/**
 * The replies of the HTTP API, as the web UI reads them (web/shared/fetch-json.ts
 * parses every reply with one of these; requests are in signaling.ts, adhoc.ts
 * and first-run.ts beside their WebSocket twins). Objects are not strict: a
 * newer server may add a field without breaking an open console.
 */

/** Every failed reply: the catalogue's code (protocol/errors.ts) with its HTTP status (signaling/server.ts). */
export const httpErrorSchema = z.object({
  error: z.object({ code: errorCodeSchema, message: z.string().max(500) }),
});
export type HttpError = z.infer<typeof httpErrorSchema>;

/** POST /api/login and GET /api/me: the technician whose login this is. */
export const meHttpSchema = z.object({
  id: z.string().min(1).max(64),
  email: z.string().max(LIMITS.emailChars),
  name: nameSchema,
  isAdmin: z.boolean(),
  /** Whether the account uses two-factor login, must set it up, and how many recovery codes are left. */
  twoFactor: twoFactorStatusSchema.optional(),
});
export type MeHttp = z.infer<typeof meHttpSchema>;

/** POST /api/logout. */
export const okHttpSchema = z.object({ ok: z.literal(true) });

/** GET /api/adhoc/sessions. */
export const adhocListHttpSchema = z.object({ sessions: z.array(adhocSummarySchema) });
/** POST /api/adhoc/sessions/:id/end. */
export const adhocEndedHttpSchema = z.object({ session: adhocSummarySchema });
