/**
 * WebSocket close codes (4000-4999 are for applications, RFC 6455 §7.4.2).
 * Some end a socket for an error of the catalogue below (its `close`); the
 * others (session ended, replaced, heartbeat, shutdown, flood) are not errors.
 */
export const CLOSE_CODES = {
  SESSION_ENDED: 4000,
  UNAUTHENTICATED: 4001,
  ORIGIN_NOT_ALLOWED: 4003,
  TOO_MANY_ERRORS: 4008,
  MESSAGE_TOO_LARGE: 4009,
  HEARTBEAT_TIMEOUT: 4010,
  REPLACED: 4011,
  SERVER_SHUTDOWN: 4012,
  AUTH_TIMEOUT: 4013,
  TOO_MANY_CONNECTIONS: 4014,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/**
 * The one catalogue of error codes, shared by server, agent and web. Each code
 * travels on the wire as `{ type: 'error', code, message }`; `status` is the
 * HTTP status used when the same error answers an HTTP request, and `close`
 * the WebSocket close code when the error ends a socket (null: the error is
 * answered and the socket stays open). docs/errors.md lists every code (a test
 * keeps the two in step).
 */
export const ERRORS = {
  BAD_JSON: { status: 400, close: null, message: 'The message is not valid JSON.' },
  MESSAGE_TOO_LARGE: { status: 413, close: CLOSE_CODES.MESSAGE_TOO_LARGE, message: 'The message is larger than allowed.' },
  INVALID_MESSAGE: { status: 400, close: null, message: 'The message does not match its schema.' },
  UNKNOWN_MESSAGE_TYPE: { status: 400, close: null, message: 'The message type is unknown.' },
  RATE_LIMITED: { status: 429, close: null, message: 'Too many requests; slow down.' },
  INTERNAL: { status: 500, close: null, message: 'Something went wrong on the server.' },

  UNAUTHENTICATED: { status: 401, close: CLOSE_CODES.UNAUTHENTICATED, message: 'Log in first.' },
  FORBIDDEN: { status: 403, close: null, message: 'You are not allowed to do that.' },
  ORIGIN_NOT_ALLOWED: { status: 403, close: CLOSE_CODES.ORIGIN_NOT_ALLOWED, message: 'This origin is not allowed.' },
  INVALID_CREDENTIALS: { status: 401, close: null, message: 'Wrong email or password.' },
  ACCOUNT_DISABLED: { status: 403, close: null, message: 'This account is disabled.' },
  LOGIN_LOCKED: { status: 429, close: null, message: 'Too many failed logins; try again later.' },
  LOGIN_SLOW_DOWN: { status: 429, close: null, message: 'Too many failed logins for this account; wait a few seconds before trying again.' },
  ACCOUNT_EXISTS: { status: 409, close: null, message: 'An account with this email already exists.' },
  ACCOUNT_NOT_FOUND: { status: 404, close: null, message: 'No such account.' },
  SECOND_FACTOR_REQUIRED: { status: 401, close: null, message: 'Enter the code from your authenticator app.' },
  SECOND_FACTOR_INVALID: { status: 401, close: null, message: 'That code is not valid, or it was already used.' },
  SECOND_FACTOR_ENROLMENT_REQUIRED: { status: 403, close: CLOSE_CODES.UNAUTHENTICATED, message: 'Set up two-factor login before using the console.' },
  SECOND_FACTOR_ALREADY_ENROLLED: { status: 409, close: null, message: 'Two-factor login is already set up for this account.' },
  LAST_ADMIN: { status: 409, close: null, message: 'At least one enabled administrator must remain.' },
  SETUP_CLOSED: { status: 410, close: null, message: 'The first-run setup is closed: an account exists already. Log in instead.' },
  SETUP_LINK_INVALID: { status: 403, close: null, message: 'This setup link is not valid or has expired. Use the link the server printed at start (restart it for a new one), or open the console on the server itself.' },

  CODE_INVALID: { status: 404, close: null, message: 'That code is not valid. Check the 6 digits and try again.' },
  CODE_EXPIRED: { status: 410, close: null, message: 'That code has expired. Ask your technician for a new one.' },
  CODE_USED: { status: 409, close: null, message: 'That code has already been used. Ask your technician for a new one.' },
  CODE_SLOW_DOWN: { status: 429, close: null, message: 'Too many wrong codes; wait a few seconds before trying again.' },
  CODE_LOCKED_OUT: { status: 429, close: null, message: 'Too many wrong codes from this address; try again later.' },
  CODE_BUSY: { status: 503, close: null, message: 'Too many wrong codes are being tried right now; try again in a minute.' },
  TOO_MANY_OPEN_CODES: { status: 429, close: null, message: 'You have too many codes nobody has entered yet; end one or wait for it to expire.' },
  AUTH_TIMEOUT: { status: 408, close: CLOSE_CODES.AUTH_TIMEOUT, message: 'No code was entered in time; connect again to enter it.' },
  TOO_MANY_CONNECTIONS: { status: 429, close: CLOSE_CODES.TOO_MANY_CONNECTIONS, message: 'Too many connections are waiting for a code; try again shortly.' },

  SESSION_NOT_FOUND: { status: 404, close: null, message: 'No such session.' },
  SESSION_BAD_STATE: { status: 409, close: null, message: 'The session cannot do that in its current state.' },
  SESSION_CLOSED: { status: 410, close: CLOSE_CODES.SESSION_ENDED, message: 'The session has ended.' },
  TOKEN_INVALID: { status: 401, close: null, message: 'The session token is not valid.' },
  SESSION_NOT_RESTORED: { status: 410, close: null, message: 'The server restarted and could not restore this session.' },
  PEER_NOT_CONNECTED: { status: 409, close: null, message: 'The other side is not connected.' },
  TECHNICIAN_NOT_ONLINE: { status: 409, close: null, message: 'That technician is not online.' },

  NO_SEAT_FREE: { status: 409, close: CLOSE_CODES.ORIGIN_NOT_ALLOWED, message: 'No technician seat is free; ask an administrator to add seats.' },
  ADHOC_ALREADY_ACTIVE: { status: 409, close: null, message: 'You already have an active ad hoc session; end it first.' },
  ADHOC_NOT_FOUND: { status: 404, close: null, message: 'No such ad hoc session.' },
  ADHOC_EXPIRED: { status: 410, close: null, message: 'The ad hoc session has expired.' },
  PASSWORD_TOO_WEAK: { status: 400, close: null, message: 'The password is too weak.' },
  SECURITY_CODE_INVALID: { status: 401, close: null, message: 'That security code is not valid.' },
  ADHOC_AUTH_FAILED: { status: 401, close: null, message: 'The password for this computer is wrong.' },
  EMAIL_FAILED: { status: 502, close: null, message: 'The email could not be sent.' },

  PERMISSION_REQUIRED: { status: 403, close: null, message: 'The customer has not granted that permission.' },
  FILE_REJECTED: { status: 409, close: null, message: 'The file was refused.' },
  FILE_TOO_LARGE: { status: 413, close: null, message: 'The file is larger than allowed.' },
  FILE_NAME_INVALID: { status: 400, close: null, message: 'The file name is not allowed.' },
  FILE_HASH_MISMATCH: { status: 422, close: null, message: 'The file arrived damaged (SHA-256 mismatch).' },
  FILE_IO: { status: 500, close: null, message: 'The file could not be read or written.' },
  DISK_FULL: { status: 507, close: null, message: 'The disk is full: the file was not saved.' },
  CANCELLED: { status: 409, close: null, message: 'The transfer was cancelled.' },
  CAPTURE_FAILED: { status: 500, close: null, message: 'Screen capture failed.' },
} as const satisfies Record<string, { status: number; close: CloseCode | null; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERRORS, value);
}

/** An error that carries a catalogue code; safe to send to a client. */
export class RescueError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string) {
    super(message ?? ERRORS[code].message);
    this.name = 'RescueError';
    this.code = code;
  }
  get status(): number {
    return ERRORS[this.code].status;
  }
}
