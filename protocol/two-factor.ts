import { z } from 'zod';

/**
 * Two-factor login with time-based one-time passwords (TOTP, RFC 6238): the
 * parameters every authenticator app uses by default, so the otpauth:// URI
 * needs no extras. `skewSteps` time steps either side of now are accepted.
 */
export const TOTP_PARAMS = { digits: 6, periodSeconds: 30, algorithm: 'SHA1', skewSteps: 1 } as const;

/** How many one-time recovery codes an enrolment hands out. */
export const RECOVERY_CODE_COUNT = 10;

/** A TOTP code as typed: 6 digits, optionally split "123 456" as apps show it. */
export const totpCodeSchema = z
  .string()
  .regex(/^\s*\d{3}[\s-]?\d{3}\s*$/, 'a code is 6 digits')
  .transform((code) => code.replace(/\D/g, ''));

/**
 * A recovery code as typed: 16 Crockford base32 characters (80 bits), shown
 * as four groups of four; spaces, dashes and case do not matter.
 */
export const recoveryCodeSchema = z.string().min(16).max(40);

/** The optional second factor of `POST /api/login`. */
export const secondFactorFields = {
  totp: totpCodeSchema.optional(),
  recoveryCode: recoveryCodeSchema.optional(),
};

/** `GET /api/2fa` (and the `twoFactor` field of `GET /api/me`). */
export const twoFactorStatusSchema = z.strictObject({
  enrolled: z.boolean(),
  /** An administrator requires two-factor login for every account. */
  required: z.boolean(),
  recoveryCodesLeft: z.number().int().nonnegative(),
});
export type TwoFactorStatus = z.infer<typeof twoFactorStatusSchema>;

/** `POST /api/2fa/enrol`: a new secret to scan or type; not active until confirmed. */
export const enrolStartSchema = z.strictObject({
  /** Base32, as authenticator apps accept it typed in. */
  secret: z.string().regex(/^[A-Z2-7]+$/),
  otpauthUri: z.string().startsWith('otpauth://totp/'),
  /** The otpauth URI as a QR code: an SVG data URL for an <img>. */
  qrDataUrl: z.string().startsWith('data:image/svg+xml'),
});
export type EnrolStart = z.infer<typeof enrolStartSchema>;

/** `POST /api/2fa/confirm {totp}` and `POST /api/2fa/recovery-codes {totp}`: the codes, shown once. */
export const recoveryCodesSchema = z.strictObject({ recoveryCodes: z.array(z.string()).length(RECOVERY_CODE_COUNT) });

export const confirmBodySchema = z.strictObject({ totp: totpCodeSchema });
/** `POST /api/2fa/disable`: a current code or a recovery code proves the device. */
export const secondFactorBodySchema = z.strictObject(secondFactorFields);
