import type { z } from 'zod';
import type { ErrorCode } from './errors.ts';
import type { FastCheck } from './fast-parse.ts';

export type ParseResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: ErrorCode; message: string; ref?: string | undefined };

/** Exhaustiveness guard for `switch` over a discriminated union. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}

const byteLength = (text: string): number => new TextEncoder().encode(text).byteLength;

/**
 * Parses one JSON message at a trust boundary: size first, then JSON, then the
 * schema. Never throws; the failure says which error code to send back.
 * `knownTypes` lets an unknown `type` be reported as UNKNOWN_MESSAGE_TYPE
 * rather than as a schema failure. `fast` holds hand-written checks by type
 * (protocol/fast-parse.ts): a message one of them accepts skips the schema,
 * anything else goes to the schema, which decides.
 */
export function parseMessage<S extends z.ZodType>(
  raw: string,
  schema: S,
  maxBytes: number,
  knownTypes?: ReadonlySet<string>,
  fast?: ReadonlyMap<string, FastCheck>,
): ParseResult<z.infer<S>> {
  // A UTF-8 string is at most 3 bytes per UTF-16 unit, at least 1.
  if (raw.length > maxBytes || (raw.length * 3 > maxBytes && byteLength(raw) > maxBytes)) {
    return { ok: false, code: 'MESSAGE_TOO_LARGE', message: `Messages are limited to ${maxBytes} bytes.` };
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'BAD_JSON', message: 'The message is not valid JSON.' };
  }
  if (fast && typeof data === 'object' && data !== null) {
    const type = (data as { type?: unknown }).type;
    const check = typeof type === 'string' ? fast.get(type) : undefined;
    if (check?.(data as Record<string, unknown>)) return { ok: true, value: data as z.infer<S> };
  }
  const ref =
    typeof data === 'object' && data !== null && typeof (data as { id?: unknown }).id === 'string'
      ? String((data as { id: string }).id).slice(0, 64)
      : undefined;
  if (knownTypes) {
    const type = typeof data === 'object' && data !== null ? (data as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !knownTypes.has(type)) {
      return {
        ok: false,
        code: 'UNKNOWN_MESSAGE_TYPE',
        message: `Unknown message type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 40) : type)}.`,
        ref,
      };
    }
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return { ok: false, code: 'INVALID_MESSAGE', message: `Invalid message${where}: ${issue?.message ?? 'schema mismatch'}.`, ref };
  }
  return { ok: true, value: result.data };
}

/** The set of `type` literals of a discriminated union built from `z.strictObject({ type: z.literal(...) })`. */
export function typesOf(options: readonly z.ZodType[]): ReadonlySet<string> {
  const set = new Set<string>();
  for (const option of options) {
    const shape = (option as unknown as { shape?: { type?: { value?: unknown } } }).shape;
    const value = shape?.type?.value;
    if (typeof value === 'string') set.add(value);
  }
  return set;
}
