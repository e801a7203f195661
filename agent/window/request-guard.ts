import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** What the support window's server accepts: its own address, origin and secret. */
export interface LocalOrigin {
  /** Exactly the `Host` header a browser sends for the URL: `127.0.0.1:<port>`. */
  host: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  secret: string;
}

export type GuardResult = { ok: true; rest: string | null } | { ok: false; why: 'host' | 'origin' | 'secret' };

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Compares in constant time, also in length: both sides are hashed first, so
 * neither the position of the first wrong character nor the secret's length
 * shows in the timing.
 */
export function secretMatches(given: string, secret: string): boolean {
  return timingSafeEqual(digest(given), digest(secret));
}

/**
 * Checks one request (page, asset or WebSocket upgrade) to the support window:
 * - `Host` must be exactly the loopback address and port the server listens
 *   on, so a page on another name that resolves to 127.0.0.1 (DNS rebinding)
 *   is refused;
 * - `Origin`, when the request has one (a WebSocket always does, and must:
 *   `requireOrigin`), must be the window's own;
 * - the first path segment must be the secret (`/<secret>/...`).
 * On success `rest` is the path after the secret without the leading slash,
 * or null for `/<secret>` alone (which the server redirects to `/<secret>/`).
 */
export function checkLocalRequest(
  req: { url?: string | undefined; headers: IncomingHttpHeaders },
  expected: LocalOrigin,
  requireOrigin: boolean,
): GuardResult {
  if (req.headers.host !== expected.host) return { ok: false, why: 'host' };
  const origin = req.headers.origin;
  if (origin === undefined ? requireOrigin : origin !== expected.origin) return { ok: false, why: 'origin' };
  const path = (req.url ?? '').split(/[?#]/, 1)[0] ?? '';
  const match = /^\/([^/]*)(?:\/(.*))?$/.exec(path);
  // The secret is compared even when the path has no segment, so a bad path costs the same.
  const given = match?.[1] ?? '';
  const ok = secretMatches(given, expected.secret);
  if (!ok || !match) return { ok: false, why: 'secret' };
  return { ok: true, rest: match[2] ?? null };
}
