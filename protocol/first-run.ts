import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { nameSchema } from './common.ts';

/** HTTP: POST /api/setup creates the first administrator of a fresh install (signaling/first-run.ts). */
export const firstRunHttpSchema = z.strictObject({
  email: z.string().min(3).max(LIMITS.emailChars),
  name: nameSchema,
  password: z.string().min(1).max(LIMITS.passwordChars),
});
export type FirstRunHttp = z.infer<typeof firstRunHttpSchema>;

/** HTTP: GET /api/setup answers this. */
export const firstRunStatusSchema = z.strictObject({ needed: z.boolean(), allowed: z.boolean() });
export type FirstRunStatus = z.infer<typeof firstRunStatusSchema>;

/** HTTP: POST /api/setup answers 201 with the administrator it made. */
export const firstRunCreatedHttpSchema = z.object({ id: z.string().min(1).max(64), email: z.string().max(LIMITS.emailChars), name: nameSchema });
