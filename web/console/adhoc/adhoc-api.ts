import type { z } from 'zod';
import { adhocCreatedHttpSchema, type AdhocCreatedHttp, type AdhocSummary } from '../../../protocol/adhoc.ts';
import { adhocEndedHttpSchema, adhocListHttpSchema } from '../../../protocol/http.ts';
import { ApiError, fetchJson } from '../../shared/fetch-json.ts';
import { AdhocClientError } from './adhoc-client.ts';

type FetchLike = (url: string, init: { method: string; headers?: Record<string, string>; body?: string; credentials?: 'same-origin' }) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

async function call<S extends z.ZodType>(fetchFn: FetchLike, schema: S, url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<z.infer<S>> {
  const init = {
    method,
    credentials: 'same-origin' as const,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
  try {
    return await fetchJson(schema, url, init, (u) => fetchFn(u, init));
  } catch (err) {
    if (err instanceof ApiError) throw new AdhocClientError(err.code, err.message);
    throw err;
  }
}

/** The console's HTTP calls under /api/adhoc (the password is never one of the fields). */
export class AdhocApi {
  constructor(
    private readonly base: string,
    private readonly fetchFn: FetchLike,
    private readonly headers: Record<string, string> = {},
  ) {}

  create(email: string): Promise<AdhocCreatedHttp> {
    return call(this.fetchFn, adhocCreatedHttpSchema, `${this.base}/api/adhoc/sessions`, 'POST', { email }, this.headers);
  }

  newCode(adhocId: string): Promise<AdhocCreatedHttp> {
    return call(this.fetchFn, adhocCreatedHttpSchema, `${this.base}/api/adhoc/sessions/${encodeURIComponent(adhocId)}/code`, 'POST', {}, this.headers);
  }

  async end(adhocId: string): Promise<AdhocSummary> {
    return (await call(this.fetchFn, adhocEndedHttpSchema, `${this.base}/api/adhoc/sessions/${encodeURIComponent(adhocId)}/end`, 'POST', {}, this.headers)).session;
  }

  async list(): Promise<AdhocSummary[]> {
    return (await call(this.fetchFn, adhocListHttpSchema, `${this.base}/api/adhoc/sessions`, 'GET', undefined, this.headers)).sessions;
  }
}
