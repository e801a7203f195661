/**
 * The ad hoc password proof, shared by the agent and the console (see
 * docs/adhoc.md, "Password proof bound to DTLS"). Pure: no crypto here, only
 * the fixed key-derivation parameters and the exact bytes both sides MAC or
 * hash, so the two ends cannot drift apart.
 */

/**
 * argon2id (RFC 9106) parameters for K = argon2id(password, salt). Fixed for
 * protocol v1: the console refuses a challenge with any other values, so a
 * man-in-the-middle cannot downgrade them to make offline guessing cheap.
 * p = 1 because the browser's WebAssembly argon2id runs single-threaded.
 */
export const ADHOC_KDF = { memoryKiB: 65_536, iterations: 3, parallelism: 1, keyBytes: 32, saltBytes: 16 } as const;
export type AdhocKdfParams = { memoryKiB: number; iterations: number; parallelism: number };

/** Domain-separation label of the verify MAC. */
export const ADHOC_PROOF_LABEL = 'relay-rescue adhoc v1';
/** Domain-separation label of the short authentication string. */
export const ADHOC_SAS_LABEL = 'relay-rescue adhoc sas v1';

/**
 * The DTLS certificate fingerprints announced in an SDP (`a=fingerprint:`,
 * session-level and media-level, RFC 8122 §5), normalised to
 * `"<hash-func> <hex:hex:...>"` in lower case, de-duplicated and sorted.
 */
export function sdpFingerprints(sdp: string): string[] {
  const found = new Set<string>();
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^a=fingerprint:\s*(\S+)\s+([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+)\s*$/.exec(line);
    if (m) found.add(`${m[1]!.toLowerCase()} ${m[2]!.toLowerCase()}`);
  }
  return [...found].sort();
}

/** One side's DTLS fingerprint, all its `a=fingerprint` lines joined; throws when the SDP has none. */
export function sdpFingerprint(sdp: string | undefined): string {
  const fps = sdpFingerprints(sdp ?? '');
  if (fps.length === 0) throw new Error('No DTLS fingerprint in the session description.');
  return fps.join(',');
}

/** The fingerprints as the technician sees them: its own certificate and the one it is talking to. */
export type TechnicianView = { technicianFingerprint: string; agentFingerprint: string };

const utf8 = new TextEncoder();

/** Fields with a 4-byte big-endian length before each, so no two field lists encode alike. */
function lengthPrefixed(fields: string[]): Uint8Array<ArrayBuffer> {
  const parts = fields.map((f) => utf8.encode(f));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/**
 * The message of the verify proof: mac = HMAC-SHA256(K, transcript). The
 * technician fills it with (its local, its remote) fingerprint; the agent with
 * (its remote, its local). Only without a man-in-the-middle are these equal.
 */
export function proofTranscript(nonce: string, view: TechnicianView): Uint8Array<ArrayBuffer> {
  return lengthPrefixed([ADHOC_PROOF_LABEL, nonce, view.technicianFingerprint, view.agentFingerprint]);
}

/** The input hashed (SHA-256) for the short authentication string: both fingerprints, sorted, so both peers agree. */
export function sasInput(localFingerprint: string, remoteFingerprint: string): Uint8Array<ArrayBuffer> {
  return lengthPrefixed([ADHOC_SAS_LABEL, ...[localFingerprint, remoteFingerprint].sort()]);
}

/** Six digits ("123 456") from the first 4 bytes of the SHA-256 of `sasInput`. */
export function sasDigits(digest: Uint8Array): string {
  if (digest.length < 4) throw new Error('Digest too short.');
  const n = new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0) % 1_000_000;
  const s = String(n).padStart(6, '0');
  return `${s.slice(0, 3)} ${s.slice(3)}`;
}

/** base64url without padding (RFC 4648 §5), for keys, salts and MACs on the wire. */
export function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
