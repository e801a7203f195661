export { clientAddress } from './client-address.ts';

/** The session cookie's name (docs/architecture.md). */
export const SESSION_COOKIE = 'rr_session';

/** Parses a Cookie header into a map (first value of a name wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.slice(0, 8192).split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!cookies.has(name)) {
      try {
        cookies.set(name, decodeURIComponent(value));
      } catch {
        cookies.set(name, value);
      }
    }
  }
  return cookies;
}

/** The origins allowed to open the technician socket and to post to the API. */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(origins: Iterable<string>) {
    this.allowed = new Set([...origins].map((origin) => origin.toLowerCase()));
  }

  get origins(): readonly string[] {
    return [...this.allowed];
  }

  /** A missing Origin is not allowed; use `allowsIfPresent` where non-browser clients are expected. */
  allows(origin: string | undefined): boolean {
    return origin !== undefined && this.allowed.has(origin.toLowerCase());
  }

  allowsIfPresent(origin: string | undefined): boolean {
    return origin === undefined || this.allows(origin);
  }
}

/** The public origin and the allowed origins for a server listening on host:port. */
export function deriveOrigins(input: {
  publicUrl: string | null;
  allowedOrigins: readonly string[];
  host: string;
  port: number;
  tls: boolean;
}): { publicUrl: string; origins: string[] } {
  const scheme = input.tls ? 'https' : 'http';
  const host = input.host === '0.0.0.0' || input.host === '::' ? 'localhost' : input.host.includes(':') ? `[${input.host}]` : input.host;
  const defaultPort = (input.tls && input.port === 443) || (!input.tls && input.port === 80);
  const derived = `${scheme}://${host}${defaultPort ? '' : `:${input.port}`}`;
  const publicUrl = input.publicUrl ?? derived;
  const origins = new Set<string>([publicUrl, ...input.allowedOrigins]);
  if (input.publicUrl === null) {
    // Development on loopback: the browser may say localhost or 127.0.0.1.
    const suffix = defaultPort ? '' : `:${input.port}`;
    origins.add(`${scheme}://localhost${suffix}`);
    origins.add(`${scheme}://127.0.0.1${suffix}`);
  }
  return { publicUrl, origins: [...origins] };
}
