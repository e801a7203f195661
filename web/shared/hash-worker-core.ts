import type { Hasher } from '../../rtc/sha256.ts';
import { gatherOrIncremental } from './gather-digest.ts';

/** Main thread → hashing worker: feed a transfer's hash (parts in order, with the file's size if known), or finish it. */
export type HashRequest =
  | { id: number; parts: Uint8Array[]; size?: number }
  | { id: number; end: true; size?: number }
  /** The transfer failed: forget it (what it gathered goes). */
  | { id: number; drop: true };
/** Hashing worker → main thread: it started, or a transfer's digest (or why there is none). */
export type HashReply = { ready: true } | { id: number; hex: string } | { id: number; error: string };

/**
 * The worker's state: one hash per transfer id, until it is finished or dropped (a failed transfer). A file of
 * known size up to WEBCRYPTO_RECEIVE_MAX_BYTES is gathered and digested by WebCrypto at the end, a larger one or
 * one of unknown size runs the pure-TS SHA-256 (gather-digest.ts).
 */
export function hashWorkerHandler(): (m: HashRequest) => HashReply | Promise<HashReply> | null {
  const states = new Map<number, Hasher>();
  const state = (m: { id: number; size?: number }): Hasher => {
    let s = states.get(m.id);
    if (!s) states.set(m.id, (s = gatherOrIncremental(m.size)));
    return s;
  };
  return (m) => {
    if ('drop' in m) {
      states.delete(m.id);
      return null;
    }
    if ('parts' in m) {
      const s = state(m);
      for (const part of m.parts) s.update(part);
      return null;
    }
    const s = state(m);
    states.delete(m.id);
    const id = m.id;
    const digest = s.digestHex();
    return typeof digest === 'string' ? { id, hex: digest } : digest.then((hex) => ({ id, hex }), (err: unknown) => ({ id, error: String(err) }));
  };
}
