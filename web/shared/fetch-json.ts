import type { z } from 'zod';
import type { ErrorCode } from '../../protocol/errors.ts';
import { httpErrorSchema } from '../../protocol/http.ts';

/** A failed HTTP call: the catalogue code the server answered, or `HTTP_<status>` when its body said none. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | `HTTP_${number}`,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The part of `fetch` the UI uses; tests pass Node's. */
export type FetchLike = (url: string, init: RequestInit) => Promise<HttpReply>;
type HttpReply = Pick<Response, 'ok' | 'status' | 'json'> & { statusText?: string };

/** Reads `{error:{code,message}}` from a failed reply. */
export async function readApiError(res: HttpReply): Promise<ApiError> {
  const body: unknown = await res.json().catch(() => undefined);
  const parsed = httpErrorSchema.safeParse(body);
  return parsed.success
    ? new ApiError(parsed.data.error.code, parsed.data.error.message, res.status)
    : new ApiError(`HTTP_${res.status}`, res.statusText || `HTTP ${res.status}`, res.status);
}

/**
 * The one way the web UI calls the HTTP API: the reply is parsed with its
 * schema from protocol/http.ts (or its request's module), so nothing the
 * server sends reaches the UI unchecked. Throws ApiError for a failed or
 * malformed reply; a network failure throws fetch's own TypeError.
 */
export async function fetchJson<S extends z.ZodType>(schema: S, url: string, init: RequestInit = {}, fetchFn: FetchLike = fetch): Promise<z.infer<S>> {
  const res = await fetchFn(url, { credentials: 'same-origin', ...init });
  if (!res.ok) throw await readApiError(res);
  const body: unknown = await res.json().catch(() => undefined);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError('INVALID_MESSAGE', `The server's reply to ${url} does not match its schema.`, res.status);
  return parsed.data;
}

/** A JSON request body for fetchJson. */
export function jsonBody(method: 'POST' | 'PUT' | 'DELETE', body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
