import type { RunningServer } from './server.ts';
import { totpAt } from '../signaling/two-factor/totp.ts';

export { totpAt };

/** POST /api/login with any body; answers the status, the error code and the cookie (if one was set). */
export async function login(server: RunningServer, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ status: number; code?: string; cookie?: string; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown> & { error?: { code: string } };
  const cookie = res.headers.getSetCookie().find((line) => line.startsWith('rr_session='))?.split(';')[0];
  return { status: res.status, body: json, ...(json.error ? { code: json.error.code } : {}), ...(cookie ? { cookie } : {}) };
}

/** A reply body as tests read it: JSON of any shape (the test asserts the shape), or text. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** A JSON call with the login cookie and the server's own Origin (as the console sends it). */
export async function call(server: RunningServer, cookie: string, method: string, path: string, body?: unknown, origin: string | null = server.publicUrl): Promise<{ status: number; code?: string; body: Loose }> {
  const headers: Record<string, string> = { cookie };
  if (origin !== null) headers.origin = origin;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  let json: Loose = text;
  try {
    json = JSON.parse(text);
  } catch {
    // CSV or plain text.
  }
  return { status: res.status, body: json, ...(json?.error?.code ? { code: json.error.code as string } : {}) };
}

/** Enrols the logged-in account over the API, confirming with the code of the server's current time. */
export async function enrolOverApi(server: RunningServer, cookie: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  const started = await call(server, cookie, 'POST', '/api/2fa/enrol', {});
  if (started.status !== 200) throw new Error(`enrol: ${started.status} ${started.code ?? ''}`);
  const secret = started.body.secret as string;
  const confirmed = await call(server, cookie, 'POST', '/api/2fa/confirm', { totp: totpAt(secret, server.clock.now()) });
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status} ${confirmed.code ?? ''}`);
  return { secret, recoveryCodes: confirmed.body.recoveryCodes as string[] };
}
