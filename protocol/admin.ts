import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { nameSchema, timestampSchema } from './common.ts';

/**
 * The administration API under `/api/admin` (admins only; others get 403) and
 * what the administration page at `/admin` shows. The CLI does the same things
 * through the same service (signaling/admin/admin-service.ts).
 */

/** Every administrative or account-security action the action log records. */
export const ADMIN_ACTIONS = [
  'technician.created',
  'technician.disabled',
  'technician.enabled',
  'technician.deleted',
  'technician.password_reset',
  'technician.two_factor_reset',
  'technician.admin_granted',
  'technician.admin_revoked',
  'settings.changed',
  'audit.exported',
  'two_factor.enrolled',
  'two_factor.disabled',
  'two_factor.recovery_used',
  'two_factor.recovery_renewed',
] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

export const adminTechnicianSchema = z.strictObject({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  isAdmin: z.boolean(),
  disabled: z.boolean(),
  createdAt: timestampSchema,
  twoFactor: z.boolean(),
});
export type AdminTechnician = z.infer<typeof adminTechnicianSchema>;

/** `POST /api/admin/technicians`. */
export const technicianCreateSchema = z.strictObject({
  email: z.string().min(1).max(LIMITS.emailChars),
  name: nameSchema,
  password: z.string().min(1).max(LIMITS.passwordChars),
  isAdmin: z.boolean().default(false),
});
/** `POST /api/admin/technicians/:id/password`. */
export const passwordBodySchema = z.strictObject({ password: z.string().min(1).max(LIMITS.passwordChars) });
/** `POST /api/admin/technicians/:id/admin`. */
export const adminFlagSchema = z.strictObject({ isAdmin: z.boolean() });

/** Largest login lifetime an administrator may set, in hours (30 days). */
export const MAX_LOGIN_SESSION_HOURS = 720;

/** The settings an administrator may change while the server runs (the rest is environment, read at start). */
export const runtimeSettingsSchema = z.strictObject({
  /** Technicians with a console open at once; null = unlimited. */
  seats: z.number().int().min(0).max(100_000).nullable(),
  /** Every account must use two-factor login (an account without it enrols at its next login). */
  require2fa: z.boolean(),
  /** Lifetime of a new login (existing logins keep theirs). */
  loginSessionHours: z.number().int().min(1).max(MAX_LOGIN_SESSION_HOURS),
});
export type RuntimeSettingsValues = z.infer<typeof runtimeSettingsSchema>;
/** `PATCH /api/admin/settings`: any subset. */
export const settingsPatchSchema = runtimeSettingsSchema.partial();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

/** Facts set in the environment at start, shown read-only next to the settings. */
export const startupFactsSchema = z.strictObject({
  publicUrl: z.string(),
  turnConfigured: z.boolean(),
  forceRelay: z.boolean(),
  codeTtlSeconds: z.number().int(),
  reconnectGraceSeconds: z.number().int(),
  loginLockoutAfter: z.number().int(),
  loginLockoutSeconds: z.number().int(),
});
export type StartupFacts = z.infer<typeof startupFactsSchema>;

/** Largest page of the audit trail or the action log. */
export const ADMIN_PAGE_MAX = 200;
export const SEARCH_TEXT_CHARS = 100;

/**
 * `GET /api/admin/sessions` (and `/sessions.csv`): filters from the query
 * string. Dates are milliseconds since the epoch, `to` exclusive; `cursor`
 * is the `next` of the previous page (keyset pagination, newest first).
 */
export const sessionQuerySchema = z.strictObject({
  technician: z.string().max(LIMITS.emailChars).optional(),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  q: z.string().max(SEARCH_TEXT_CHARS).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(ADMIN_PAGE_MAX).default(50),
});
export type SessionQuery = z.infer<typeof sessionQuerySchema>;

export const adminSessionSchema = z.strictObject({
  id: z.string(),
  kind: z.string(),
  technicianId: z.string().nullable(),
  technicianEmail: z.string(),
  customerAddress: z.string().nullable(),
  createdAt: timestampSchema,
  /** When the technician started it (activation); null if it never started. */
  startedAt: timestampSchema.nullable(),
  endedAt: timestampSchema.nullable(),
  /** From start (or creation, if it never started) to end; null while it runs. */
  durationMs: z.number().int().nullable(),
  endReason: z.string().nullable(),
  eventCount: z.number().int(),
});
export type AdminSession = z.infer<typeof adminSessionSchema>;
/**
 * A page of the audit trail. `next` continues it; `searchedBackTo` is set when a
 * text search stopped at its scan window (the page may be short, and `next`
 * searches older sessions).
 */
export type SessionPage = { sessions: AdminSession[]; next: string | null; searchedBackTo: number | null };

export const adminActionRecordSchema = z.strictObject({
  id: z.number().int(),
  at: timestampSchema,
  actorKind: z.enum(['technician', 'cli']),
  actorId: z.string().nullable(),
  actorLabel: z.string(),
  action: z.enum(ADMIN_ACTIONS),
  target: z.string(),
  detail: z.string(),
});
export type AdminActionRecord = z.infer<typeof adminActionRecordSchema>;
export type ActionPage = { actions: AdminActionRecord[]; next: string | null };

export const actionQuerySchema = z.strictObject({
  cursor: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(ADMIN_PAGE_MAX).default(50),
});
