import path from 'node:path';
import { fixedTurnSecret, TurnSecretFile, TurnSecretFileError, type TurnSecretSource } from './turn-secret.ts';

/**
 * The signaling server's configuration: read from the environment once at
 * start-up, validated, frozen and passed down. Nothing else reads `process.env`.
 * A bad value fails fast with a message naming the variable.
 *
 * Other modules (for example `signaling/adhoc/`) read their own keys with the
 * exported `env*` helpers on the same environment, so every variable is
 * validated the same way; the SMTP keys are parsed here as the `smtp` section.
 */

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A string variable; empty counts as unset. */
export function envString(env: Env, name: string, fallback?: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw.trim();
}

/** An integer variable within [min, max]. */
export function envInt(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = envString(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A boolean variable: 1/true/yes/on or 0/false/no/off. */
export function envBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = envString(env, name);
  if (raw === undefined) return fallback;
  const lower = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
  if (['0', 'false', 'no', 'off'].includes(lower)) return false;
  throw new ConfigError(name, `must be a boolean (1/0, true/false), got ${JSON.stringify(raw)}`);
}

/**
 * TRUST_PROXY: how many proxies append to X-Forwarded-For. A boolean reads as
 * one proxy (1/true/yes/on) or none (0/false/no/off); a number is the hop count.
 */
function envProxyHops(env: Env, name: string): number {
  const raw = envString(env, name);
  if (raw === undefined) return 0;
  if (/^\d+$/.test(raw)) return envInt(env, name, 0, 0, 10);
  try {
    return envBool(env, name, false) ? 1 : 0;
  } catch {
    throw new ConfigError(name, `must be a number of proxies (0-10) or a boolean, got ${JSON.stringify(raw)}`);
  }
}

/** A comma-separated list; empty items are dropped. */
export function envList(env: Env, name: string): string[] {
  const raw = envString(env, name);
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function envUrl(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL: ${JSON.stringify(raw)}`);
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
  return url.origin;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface SmtpConfig {
  host: string | undefined;
  port: number;
  secure: boolean;
  user: string | undefined;
  pass: string | undefined;
  from: string | undefined;
  /** Where mail goes as .eml files when no SMTP host is set (development). */
  outboxDir: string;
}

export interface Config {
  port: number;
  host: string;
  tls: { certFile: string; keyFile: string } | null;
  allowInsecureHttp: boolean;
  dataDir: string;
  /** The SQLite file, or `:memory:`. */
  databasePath: string;
  /** The public origin (scheme://host[:port]); null means derive it from the listening address. */
  publicUrl: string | null;
  /** Extra origins allowed to open the technician WebSocket and post to the API. */
  allowedOrigins: readonly string[];
  codeTtlSeconds: number;
  reconnectGraceSeconds: number;
  heartbeatMs: number;
  /**
   * A socket whose unsent data passes this many bytes (its reader stopped
   * reading) is cut: the server's memory stays bounded and the client resumes
   * on a new socket within the grace period.
   */
  wsSendBufferBytes: number;
  stunUrls: readonly string[];
  turnUrls: readonly string[];
  /** TURN_SECRET or TURN_SECRET_FILE (re-read when it changes); null when neither is set. */
  turnSecret: TurnSecretSource | null;
  turnTtlSeconds: number;
  forceRelay: boolean;
  logLevel: LogLevel;
  /**
   * How many reverse proxies in front of the server append to X-Forwarded-For;
   * the client address is the entry that many hops from the right. 0 = none
   * (the socket's address).
   */
  trustProxy: number;
  loginSessionHours: number;
  /** Failed logins for one account from one address that lock that pair. */
  loginLockoutAfter: number;
  loginIpLockoutAfter: number;
  loginLockoutSeconds: number;
  /** Failed logins for one account (any address) after which new addresses are slowed. */
  loginSlowdownAfter: number;
  loginSlowdownMaxSeconds: number;
  /**
   * The key that seals TOTP secrets at rest (signaling/two-factor/secret-box.ts),
   * created on first use; null = a key in memory only (a `:memory:` database).
   */
  twoFactorKeyFile: string | null;
  /**
   * The key that seals pending PIN codes kept across a restart
   * (signaling/live-sessions.ts), created at start; null = no file (a `:memory:` database keeps nothing).
   */
  codeKeyFile: string | null;
  codeSlowdownAfter: number;
  codeLockoutAfter: number;
  codeLockoutSeconds: number;
  codeGlobalFailuresPerMinute: number;
  /** Open (pending) codes one technician may hold. */
  codesPerTechnician: number;
  /** A customer socket that has not entered a code or resumed within this is closed. */
  customerAuthTimeoutSeconds: number;
  /** Open sockets that have not authenticated yet, per address (IPv6: per /64) and in total. */
  unauthSocketsPerAddress: number;
  unauthSocketsTotal: number;
  smtp: SmtpConfig;
  // Scale-out (issue 17, docs/scale.md).
  /** REDIS_URL: the shared live state of several nodes; null = this process alone, in memory. */
  redisUrl: string | null;
  /** DATABASE_URL: PostgreSQL for accounts, logins, seats, ad hoc pairings and the audit trail; null = SQLite. */
  databaseUrl: string | null;
  /** Everyday use (issue 15): log output and the first-run setup link. */
  /** `auto`: readable lines on a terminal, JSON otherwise; `pretty` or `json` force one. */
  logFormat: LogFormat;
  /** NO_COLOR set: readable lines without ANSI colours. */
  noColour: boolean;
}

/**
 * A server URL with one of `protocols` and a host, kept whole (it may carry a
 * password); the error never repeats the value, so a password is not logged.
 */
function envServiceUrl(env: Env, name: string, protocols: readonly string[], example: string): string | null {
  const raw = envString(env, name);
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL (expected something like ${example})`);
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')} (like ${example}), not ${url.protocol}//`);
  if (url.hostname === '') throw new ConfigError(name, `names no host (expected something like ${example})`);
  return raw;
}

/**
 * DATABASE_URL: a postgres:// or postgresql:// URL with a host and a database
 * name. Whether the server answers and takes the login is checked when the
 * store connects (signaling/store/pg-link.ts), with its own clear errors.
 */
function postgresUrl(env: Env): string | null {
  const url = envServiceUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://user:pass@127.0.0.1:5432/relay');
  if (url === null) return null;
  if (new URL(url).pathname.replace(/^\//, '') === '') throw new ConfigError('DATABASE_URL', 'names no database (expected something like postgres://user:pass@127.0.0.1:5432/relay)');
  return url;
}

export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** LOG_FORMAT and NO_COLOR (https://no-color.org: any non-empty value). */
function loadLogOutput(env: Env): { logFormat: LogFormat; noColour: boolean } {
  const logFormat = (envString(env, 'LOG_FORMAT', 'auto') ?? 'auto').toLowerCase() as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) throw new ConfigError('LOG_FORMAT', `must be one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(env['LOG_FORMAT'])}`);
  return { logFormat, noColour: envString(env, 'NO_COLOR') !== undefined };
}

/** The log output for this process: `auto` picks readable lines when stdout is a terminal. */
export function logOutputFor(config: Pick<Config, 'logFormat' | 'noColour'>, stdoutIsTty: boolean): { format: 'pretty' | 'json'; colour: boolean } {
  const format = config.logFormat === 'auto' ? (stdoutIsTty ? 'pretty' : 'json') : config.logFormat;
  return { format, colour: format === 'pretty' && stdoutIsTty && !config.noColour };
}

/** TURN_SECRET, or TURN_SECRET_FILE (read and checked now; see signaling/turn-secret.ts). */
function loadTurnSecret(env: Env): TurnSecretSource | null {
  const secret = envString(env, 'TURN_SECRET');
  const file = envString(env, 'TURN_SECRET_FILE');
  if (secret !== undefined && file !== undefined) throw new ConfigError('TURN_SECRET_FILE', 'set TURN_SECRET or TURN_SECRET_FILE, not both');
  if (secret !== undefined) return fixedTurnSecret(secret);
  if (file === undefined) return null;
  try {
    return new TurnSecretFile(file);
  } catch (error) {
    if (error instanceof TurnSecretFileError) throw new ConfigError('TURN_SECRET_FILE', error.message);
    throw error;
  }
}

/** Reads and validates the configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const port = envInt(env, 'PORT', 8080, 0, 65535);
  const host = envString(env, 'HOST', '127.0.0.1') ?? '127.0.0.1';
  const certFile = envString(env, 'TLS_CERT_FILE');
  const keyFile = envString(env, 'TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(certFile === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE', 'TLS_CERT_FILE and TLS_KEY_FILE go together: set both or neither');
  }
  const tls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : null;
  const allowInsecureHttp = envBool(env, 'ALLOW_INSECURE_HTTP', false);
  if (!tls && !isLoopbackHost(host) && !allowInsecureHttp) {
    throw new ConfigError('HOST', `plain HTTP on a non-loopback address (${host}) needs TLS_CERT_FILE/TLS_KEY_FILE, or ALLOW_INSECURE_HTTP=1 behind a TLS proxy`);
  }
  const dataDir = path.resolve(envString(env, 'DATA_DIR', './data') ?? './data');
  const dbRaw = envString(env, 'DATABASE_PATH');
  const databasePath = dbRaw === ':memory:' ? ':memory:' : path.resolve(dbRaw ?? path.join(dataDir, 'relay-rescue.db'));

  const keyRaw = envString(env, 'TWO_FACTOR_KEY_FILE');
  const twoFactorKeyFile = keyRaw !== undefined ? path.resolve(keyRaw) : databasePath === ':memory:' ? null : path.join(dataDir, 'two-factor.key');

  const codeKeyRaw = envString(env, 'CODE_KEY_FILE');
  // Beside the database (DATA_DIR unless DATABASE_PATH moves it), so a server never writes a key where its data is not.
  const codeKeyFile = codeKeyRaw !== undefined ? path.resolve(codeKeyRaw) : databasePath === ':memory:' ? null : path.join(path.dirname(databasePath), 'codes.key');

  const turnUrls = envList(env, 'TURN_URLS');
  for (const url of turnUrls) {
    if (!/^turns?:[^\s]+$/.test(url)) throw new ConfigError('TURN_URLS', `not a turn:/turns: URL: ${JSON.stringify(url)}`);
  }
  const stunUrls = envList(env, 'STUN_URLS');
  for (const url of stunUrls) {
    if (!/^stuns?:[^\s]+$/.test(url)) throw new ConfigError('STUN_URLS', `not a stun:/stuns: URL: ${JSON.stringify(url)}`);
  }
  const turnSecret = loadTurnSecret(env);
  if (turnUrls.length > 0 && turnSecret === null) throw new ConfigError('TURN_SECRET', 'is required when TURN_URLS is set (or TURN_SECRET_FILE)');
  const forceRelay = envBool(env, 'FORCE_RELAY', false);
  if (forceRelay && turnUrls.length === 0) throw new ConfigError('FORCE_RELAY', 'needs a TURN server (TURN_URLS and TURN_SECRET)');

  const allowedOrigins = envList(env, 'ALLOWED_ORIGINS').map((origin, index) => {
    const one = envUrl({ ALLOWED_ORIGINS: origin }, 'ALLOWED_ORIGINS', ['http:', 'https:']);
    if (one === undefined) throw new ConfigError('ALLOWED_ORIGINS', `item ${index + 1} is empty`);
    return one;
  });

  const logLevel = (envString(env, 'LOG_LEVEL', 'info') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const smtpPort = envInt(env, 'SMTP_PORT', 587, 1, 65535);
  const smtp: SmtpConfig = Object.freeze({
    host: envString(env, 'SMTP_HOST'),
    port: smtpPort,
    secure: envBool(env, 'SMTP_SECURE', smtpPort === 465),
    user: envString(env, 'SMTP_USER'),
    pass: envString(env, 'SMTP_PASS'),
    from: envString(env, 'SMTP_FROM'),
    outboxDir: path.resolve(envString(env, 'OUTBOX_DIR') ?? path.join(dataDir, 'outbox')),
  });

  const config: Config = {
    port,
    host,
    tls: tls ? Object.freeze(tls) : null,
    allowInsecureHttp,
    dataDir,
    databasePath,
    publicUrl: envUrl(env, 'PUBLIC_URL', ['http:', 'https:']) ?? null,
    allowedOrigins: Object.freeze(allowedOrigins),
    codeTtlSeconds: envInt(env, 'CODE_TTL_SECONDS', 600, 10, 86_400),
    reconnectGraceSeconds: envInt(env, 'RECONNECT_GRACE_SECONDS', 30, 1, 3600),
    heartbeatMs: envInt(env, 'HEARTBEAT_MS', 15_000, 100, 600_000),
    wsSendBufferBytes: envInt(env, 'WS_SEND_BUFFER_BYTES', 4 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    stunUrls: Object.freeze(stunUrls),
    turnUrls: Object.freeze(turnUrls),
    turnSecret,
    turnTtlSeconds: envInt(env, 'TURN_TTL_SECONDS', 3600, 60, 7 * 86_400),
    forceRelay,
    logLevel,
    trustProxy: envProxyHops(env, 'TRUST_PROXY'),
    loginSessionHours: envInt(env, 'LOGIN_SESSION_HOURS', 12, 1, 24 * 30),
    loginLockoutAfter: envInt(env, 'LOGIN_LOCKOUT_AFTER', 5, 1, 1000),
    loginIpLockoutAfter: envInt(env, 'LOGIN_IP_LOCKOUT_AFTER', 20, 1, 10_000),
    loginLockoutSeconds: envInt(env, 'LOGIN_LOCKOUT_SECONDS', 900, 1, 86_400),
    twoFactorKeyFile,
    codeKeyFile,
    codeSlowdownAfter: envInt(env, 'CODE_SLOWDOWN_AFTER', 3, 1, 1000),
    codeLockoutAfter: envInt(env, 'CODE_LOCKOUT_AFTER', 10, 1, 10_000),
    codeLockoutSeconds: envInt(env, 'CODE_LOCKOUT_SECONDS', 900, 1, 86_400),
    loginSlowdownAfter: envInt(env, 'LOGIN_SLOWDOWN_AFTER', 5, 1, 10_000),
    loginSlowdownMaxSeconds: envInt(env, 'LOGIN_SLOWDOWN_MAX_SECONDS', 60, 1, 3600),
    codeGlobalFailuresPerMinute: envInt(env, 'CODE_GLOBAL_FAILURES_PER_MINUTE', 200, 1, 1_000_000),
    codesPerTechnician: envInt(env, 'CODES_PER_TECHNICIAN', 20, 1, 10_000),
    customerAuthTimeoutSeconds: envInt(env, 'CUSTOMER_AUTH_TIMEOUT_SECONDS', 15, 1, 600),
    unauthSocketsPerAddress: envInt(env, 'UNAUTH_SOCKETS_PER_ADDRESS', 20, 1, 100_000),
    unauthSocketsTotal: envInt(env, 'UNAUTH_SOCKETS_TOTAL', 1000, 1, 1_000_000),
    smtp,
    redisUrl: envServiceUrl(env, 'REDIS_URL', ['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
    databaseUrl: postgresUrl(env),
    ...loadLogOutput(env),
  };
  if (config.codeSlowdownAfter > config.codeLockoutAfter) {
    throw new ConfigError('CODE_SLOWDOWN_AFTER', 'must not be larger than CODE_LOCKOUT_AFTER');
  }
  if (config.unauthSocketsPerAddress > config.unauthSocketsTotal) {
    throw new ConfigError('UNAUTH_SOCKETS_PER_ADDRESS', 'must not be larger than UNAUTH_SOCKETS_TOTAL');
  }
  return Object.freeze(config);
}
