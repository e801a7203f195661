import { Secret, TOTP } from 'otpauth';
import { TOTP_PARAMS } from '../../protocol/index.ts';

/** 160-bit seeds, the HMAC-SHA1 key size RFC 4226 §4 recommends. */
const SECRET_BYTES = 20;
export const ISSUER = 'Relay Rescue';

const totpFor = (secretBase32: string, label = ''): TOTP =>
  new TOTP({
    issuer: ISSUER,
    label,
    algorithm: TOTP_PARAMS.algorithm,
    digits: TOTP_PARAMS.digits,
    period: TOTP_PARAMS.periodSeconds,
    secret: Secret.fromBase32(secretBase32),
  });

/** A new random seed, base32 as authenticator apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The `otpauth://totp/...` URI an authenticator app scans. */
export function otpauthUri(secretBase32: string, accountLabel: string): string {
  return totpFor(secretBase32, accountLabel).toString();
}

/** The time step (RFC 6238 T) of a moment. */
export function timeStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PARAMS.periodSeconds);
}

/**
 * The time step whose code `code` is, within ±`skewSteps` of now, or null.
 * The caller refuses steps at or before the account's last used one (replay).
 */
export function matchingStep(secretBase32: string, code: string, nowMs: number): number | null {
  const delta = totpFor(secretBase32).validate({ token: code, timestamp: nowMs, window: TOTP_PARAMS.skewSteps });
  return delta === null ? null : timeStep(nowMs) + delta;
}

/** The code of a moment (tests, and nothing else, need to compute one). */
export function totpAt(secretBase32: string, nowMs: number): string {
  return totpFor(secretBase32).generate({ timestamp: nowMs });
}
