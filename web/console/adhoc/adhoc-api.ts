import type { AdhocCreatedHttp, AdhocSummary } from '../../../protocol/adhoc.ts';
import { AdhocClientError } from './adhoc-client.ts';

type FetchLike = (url: string, init: { method: string; headers?: Record<string, string>; body?: string; credentials?: 'same-origin' }) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

async function call<T>(fetchFn: FetchLike, url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetchFn(url, {
    method,
    credentials: 'same-origin',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const data = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new AdhocClientError(data.error?.code ?? 'INTERNAL', data.error?.message ?? `HTTP ${res.status}`);
  return data as T;
}

/** The console's HTTP calls under /api/adhoc (the password is never one of the fields). */
export class AdhocApi {
  constructor(
    private readonly base: string,
    private readonly fetchFn: FetchLike,
    private readonly headers: Record<string, string> = {},
  ) {}

  create(email: string): Promise<AdhocCreatedHttp> {
    return call(this.fetchFn, `${this.base}/api/adhoc/sessions`, 'POST', { email }, this.headers);
  }

  newCode(adhocId: string): Promise<AdhocCreatedHttp> {
    return call(this.fetchFn, `${this.base}/api/adhoc/sessions/${encodeURIComponent(adhocId)}/code`, 'POST', {}, this.headers);
  }

  async end(adhocId: string): Promise<AdhocSummary> {
    return (await call<{ session: AdhocSummary }>(this.fetchFn, `${this.base}/api/adhoc/sessions/${encodeURIComponent(adhocId)}/end`, 'POST', {}, this.headers)).session;
  }

  async list(): Promise<AdhocSummary[]> {
    return (await call<{ sessions: AdhocSummary[] }>(this.fetchFn, `${this.base}/api/adhoc/sessions`, 'GET', undefined, this.headers)).sessions;
  }
}
