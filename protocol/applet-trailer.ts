import { z } from 'zod';
import { timestampSchema, tokenSchema } from './common.ts';
import { LIMITS } from './limits.ts';

/**
 * The signed trailer the server appends to the support applet's bytes at
 * download time, so the customer's one file carries the server's address and
 * the session (or ad hoc deployment) token. An ELF or PE executable ignores
 * bytes after its last section, and the SEA blob is found through its own
 * section, so the program still runs; at start it reads its own tail.
 *
 * Layout at the very end of the file (docs/agent.md, "The carried token"):
 *
 *   payload  UTF-8 JSON (`appletTrailerPayloadSchema`), 1..TRAILER_MAX_PAYLOAD_BYTES bytes
 *   mac      32 bytes: HMAC-SHA256(server key, TRAILER_MAC_CONTEXT || payload)
 *   length   4 bytes, big-endian: the payload's length
 *   magic    16 bytes, ASCII `RELAYRESCUE-TRL1`
 *
 * Pure TypeScript: the HMAC itself is computed by the server (node:crypto);
 * the applet holds no key and only checks the shape.
 */
export const TRAILER_MAGIC = 'RELAYRESCUE-TRL1';
export const TRAILER_MAC_BYTES = 32;
export const TRAILER_MAX_PAYLOAD_BYTES = 4096;
/** Bytes after the payload: mac + length + magic. */
export const TRAILER_FIXED_BYTES = TRAILER_MAC_BYTES + 4 + TRAILER_MAGIC.length;
/** The most a reader needs from the end of the file. */
export const TRAILER_MAX_BYTES = TRAILER_MAX_PAYLOAD_BYTES + TRAILER_FIXED_BYTES;
/** Domain separation for the MAC, so the key signs nothing else by accident. */
export const TRAILER_MAC_CONTEXT = 'relay-rescue applet trailer v1\0';

/** What a download carries: a PIN session's customer token, an ad hoc deployment token, or only the server. */
export const CARRIED_KINDS = ['session', 'adhoc', 'none'] as const;
export type CarriedKind = (typeof CARRIED_KINDS)[number];

const serverOriginSchema = z
  .string()
  .max(LIMITS.urlChars)
  .regex(/^https?:\/\/[^\s/?#]+$/, 'an http(s) origin without a path');

export const appletTrailerPayloadSchema = z
  .strictObject({
    v: z.literal(1),
    /** The server's public origin, where the applet connects. */
    server: serverOriginSchema,
    kind: z.enum(CARRIED_KINDS),
    /** The customer token (`session`) or deployment token (`adhoc`); null for `none`. */
    token: tokenSchema.nullable(),
    /** Server time when the file was served. */
    issuedAt: timestampSchema,
    /**
     * Server time after which the server refuses the token: the ad hoc
     * session's expiry; null for a PIN session token, which the server drops
     * when its session ends. Informational for the applet (its clock may be off).
     */
    expiresAt: timestampSchema.nullable(),
  })
  .refine((p) => (p.kind === 'none') === (p.token === null), { message: 'a token goes with kind session or adhoc, and only with them' });
export type AppletTrailerPayload = z.infer<typeof appletTrailerPayloadSchema>;

const encoder = new TextEncoder();
const MAGIC_BYTES = encoder.encode(TRAILER_MAGIC);

/** The bytes the MAC covers. */
export function trailerMacInput(payload: Uint8Array): Uint8Array {
  const context = encoder.encode(TRAILER_MAC_CONTEXT);
  const out = new Uint8Array(context.length + payload.length);
  out.set(context, 0);
  out.set(payload, context.length);
  return out;
}

/** Serialises a payload (as JSON bytes) for signing and encoding. */
export function trailerPayloadBytes(payload: AppletTrailerPayload): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(appletTrailerPayloadSchema.parse(payload)));
  if (bytes.length > TRAILER_MAX_PAYLOAD_BYTES) throw new Error(`trailer payload is ${bytes.length} bytes, more than ${TRAILER_MAX_PAYLOAD_BYTES}`);
  return bytes;
}

/** The trailer's bytes: payload, mac, length, magic. */
export function encodeTrailer(payload: Uint8Array, mac: Uint8Array): Uint8Array {
  if (mac.length !== TRAILER_MAC_BYTES) throw new Error(`the MAC must be ${TRAILER_MAC_BYTES} bytes`);
  if (payload.length < 1 || payload.length > TRAILER_MAX_PAYLOAD_BYTES) throw new Error('trailer payload size out of range');
  const out = new Uint8Array(payload.length + TRAILER_FIXED_BYTES);
  out.set(payload, 0);
  out.set(mac, payload.length);
  new DataView(out.buffer).setUint32(payload.length + TRAILER_MAC_BYTES, payload.length, false);
  out.set(MAGIC_BYTES, payload.length + TRAILER_MAC_BYTES + 4);
  return out;
}

export type DecodedTrailer =
  | { found: true; payload: AppletTrailerPayload; payloadBytes: Uint8Array; mac: Uint8Array; trailerBytes: number }
  | { found: false; problem: string | null };

/**
 * Reads a trailer from the last bytes of a file (`tail`: up to
 * TRAILER_MAX_BYTES from the end). `found: false` with `problem: null` means
 * there is no trailer at all (a plain build); a problem names what is wrong
 * with one that is there. Never throws.
 */
export function decodeTrailer(tail: Uint8Array): DecodedTrailer {
  if (tail.length < TRAILER_FIXED_BYTES + 1) return { found: false, problem: null };
  const magicAt = tail.length - MAGIC_BYTES.length;
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (tail[magicAt + i] !== MAGIC_BYTES[i]) return { found: false, problem: null };
  }
  const length = new DataView(tail.buffer, tail.byteOffset, tail.byteLength).getUint32(magicAt - 4, false);
  if (length < 1 || length > TRAILER_MAX_PAYLOAD_BYTES || length + TRAILER_FIXED_BYTES > tail.length) {
    return { found: false, problem: 'the carried settings have a bad length' };
  }
  const start = tail.length - TRAILER_FIXED_BYTES - length;
  const payloadBytes = tail.slice(start, start + length);
  const mac = tail.slice(start + length, start + length + TRAILER_MAC_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch {
    return { found: false, problem: 'the carried settings are not valid JSON' };
  }
  const parsed = appletTrailerPayloadSchema.safeParse(json);
  if (!parsed.success) return { found: false, problem: `the carried settings do not match their schema (${parsed.error.issues[0]?.message ?? 'mismatch'})` };
  return { found: true, payload: parsed.data, payloadBytes, mac, trailerBytes: length + TRAILER_FIXED_BYTES };
}
