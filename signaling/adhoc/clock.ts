import type { Clock as ServerClock } from '../clock.ts';

/**
 * The part of the server's Clock (signaling/clock.ts) the ad hoc module uses,
 * injected so tests can move 24 hours with a fake clock.
 */
export type Clock = Pick<ServerClock, 'now' | 'setTimeout' | 'clearTimeout'>;

/** Longest single wait; the deadline is re-checked against `now()` after each, so a suspended host or a wall-clock jump cannot stretch it. */
const MAX_STEP_MS = 60 * 60 * 1000;

/** Runs `fn` once `clock.now() >= at`. Returns a cancel function. */
export function runAt(clock: Clock, at: number, fn: () => void): () => void {
  let handle: unknown = null;
  let cancelled = false;
  const step = (): void => {
    if (cancelled) return;
    const left = at - clock.now();
    if (left <= 0) {
      handle = null;
      fn();
      return;
    }
    handle = clock.setTimeout(step, Math.min(left, MAX_STEP_MS));
  };
  step();
  return () => {
    cancelled = true;
    if (handle !== null) clock.clearTimeout(handle);
  };
}
