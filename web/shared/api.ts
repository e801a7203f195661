import { readApiError } from './error-text.ts';

/** A refused API call: the catalogue code and message from `{error:{code,message}}`. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * One same-origin JSON call to the server's `/api`. The browser sends the
 * login cookie and its Origin, which every state-changing route checks.
 */
export async function apiCall<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError('NETWORK', 'The server cannot be reached.', 0);
  }
  if (!res.ok) {
    const error = await readApiError(res);
    throw new ApiError(error.code, error.message, res.status);
  }
  return (await res.json()) as T;
}

/** The message to show for a failed call. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
