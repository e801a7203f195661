import { Sha256 } from '../../rtc/sha256.ts';

/** Main thread → hashing worker: feed a transfer's running hash (parts in order), or finish it. */
export type HashRequest = { id: number; parts: Uint8Array[] } | { id: number; end: true };
/** Hashing worker → main thread: it started, or a transfer's digest. */
export type HashReply = { ready: true } | { id: number; hex: string };

/** The worker's state: one running SHA-256 per transfer id (an abandoned one, never finished, costs a few hundred bytes). */
export function hashWorkerHandler(): (m: HashRequest) => HashReply | null {
  const states = new Map<number, Sha256>();
  return (m) => {
    if ('parts' in m) {
      let s = states.get(m.id);
      if (!s) states.set(m.id, (s = new Sha256()));
      for (const part of m.parts) s.update(part);
      return null;
    }
    const s = states.get(m.id);
    states.delete(m.id);
    return { id: m.id, hex: (s ?? new Sha256()).digestHex() };
  };
}
