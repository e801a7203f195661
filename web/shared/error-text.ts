import { ERRORS, isErrorCode } from '../../protocol/errors.ts';

/** Messages the customer page shows for code and resume errors, in plain words. */
const CUSTOMER_TEXT: Partial<Record<string, string>> = {
  CODE_INVALID: 'That code is not valid. Check the 6 digits and try again.',
  CODE_EXPIRED: 'That code has expired. Ask your technician for a new one.',
  CODE_USED: 'That code has already been used. Ask your technician for a new one.',
  CODE_SLOW_DOWN: 'Too many wrong codes. Wait a few seconds, then try again.',
  CODE_LOCKED_OUT: 'Too many wrong codes from this network. You are locked out for a while; try again later or call your technician.',
  CODE_BUSY: 'Too many wrong codes are being tried right now. Try again in a minute.',
  RATE_LIMITED: 'Too many attempts. Wait a moment, then try again.',
  SESSION_NOT_RESTORED: 'This session ended when the server restarted: it could not be restored. If you still need help, ask your technician for a new code.',
};

/** The text to show for an error code from the server (catalogue message as fallback). */
export function errorText(code: string | undefined, fallback?: string): string {
  if (code && CUSTOMER_TEXT[code]) return CUSTOMER_TEXT[code];
  if (code && isErrorCode(code)) return ERRORS[code].message;
  return fallback ?? 'Something went wrong. Try again.';
}
