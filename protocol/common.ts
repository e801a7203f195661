import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { ERROR_CODES, type ErrorCode } from './errors.ts';

/** Request id a client may attach; the server echoes it as `ref` in the reply. */
export const requestId = z.string().min(1).max(LIMITS.requestIdChars).optional();
export const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'not a session id');
export const pinCodeSchema = z.string().regex(/^\d{6}$/, 'a code is exactly 6 digits');
export const tokenSchema = z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'not a token');
export const nameSchema = z.string().min(1).max(LIMITS.nameChars);
export const emailSchema = z.string().max(LIMITS.emailChars).email();
export const reasonSchema = z.string().max(LIMITS.reasonChars);
/** Milliseconds since the epoch. */
export const timestampSchema = z.number().int().nonnegative();
/** A coordinate as a fraction of the screen, so resolution does not matter. */
export const fractionSchema = z.number().min(0).max(1);
export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'not a SHA-256 hex digest');
export const uuidSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'not a UUID');

/** The two sides of a support session. */
export const ROLES = ['technician', 'customer'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** A `code` field on the wire: one of the catalogue's (protocol/errors.ts), nothing else. */
export const errorCodeSchema = z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]);

export const errorMessageSchema = z.strictObject({
  type: z.literal('error'),
  ref: z.string().max(LIMITS.requestIdChars).optional(),
  code: errorCodeSchema,
  message: z.string().max(500),
});
