import { firstRunCreatedHttpSchema, firstRunStatusSchema, type FirstRunHttp, type FirstRunStatus } from '../../protocol/first-run.ts';
import { ApiError, fetchJson, jsonBody } from '../shared/fetch-json.ts';

const HASH = /^#setup=([A-Za-z0-9_-]{16,128})$/;
const STORE_KEY = 'rr.setupToken';

/**
 * The console's side of the first-run setup (signaling/first-run.ts). The
 * printed link is `/console#setup=<token>`: a fragment never reaches the
 * server's or a proxy's request log. The token is taken out of the address
 * bar at once and kept for this tab only (sessionStorage), and sent as
 * `X-Setup-Token`.
 */
export class FirstRunClient {
  private readonly token: string | null;

  constructor() {
    const match = HASH.exec(window.location.hash);
    if (match?.[1]) {
      sessionStorage.setItem(STORE_KEY, match[1]);
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
    }
    this.token = sessionStorage.getItem(STORE_KEY);
  }

  private headers(): Record<string, string> {
    return this.token ? { 'x-setup-token': this.token } : {};
  }

  /** Whether setup is needed and allowed here; null when the server cannot say. */
  async status(): Promise<FirstRunStatus | null> {
    try {
      return await fetchJson(firstRunStatusSchema, '/api/setup', { headers: this.headers() });
    } catch {
      return null;
    }
  }

  /** `ok`, `closed` (an account exists now), or `failed` with the error to show. */
  async create(input: FirstRunHttp): Promise<{ result: 'ok' | 'closed' } | { result: 'failed'; message: string }> {
    try {
      await fetchJson(firstRunCreatedHttpSchema, '/api/setup', jsonBody('POST', input, this.headers()));
      sessionStorage.removeItem(STORE_KEY);
      return { result: 'ok' };
    } catch (err) {
      if (!(err instanceof ApiError)) return { result: 'failed', message: 'The server cannot be reached.' };
      if (err.code === 'SETUP_CLOSED') {
        sessionStorage.removeItem(STORE_KEY);
        return { result: 'closed' };
      }
      return { result: 'failed', message: err.message };
    }
  }
}
