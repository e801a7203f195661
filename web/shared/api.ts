import { ApiError, readApiError } from './fetch-json.ts';

export { ApiError };

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
    throw new ApiError('HTTP_0', 'The server cannot be reached.', 0);
  }
  if (!res.ok) {
    throw await readApiError(res);
  }
  return (await res.json()) as T;
}

/** The message to show for a failed call. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
