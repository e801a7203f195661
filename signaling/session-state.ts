import type { SessionReason, SessionState } from '../protocol/index.ts';
import { allowsTransition, checkTransition, stateTable } from '../protocol/state-table.ts';

export { IllegalTransitionError } from '../protocol/state-table.ts';

/**
 * The PIN session lifecycle's allowed transitions (protocol/session-state.ts
 * names the states). Anything not listed is a bug and throws.
 */
export const SESSION_TRANSITIONS = stateTable<SessionState>({
  pending: ['queued', 'closed'],
  queued: ['active', 'closed'],
  active: ['suspended', 'closed'],
  suspended: ['active', 'closed'],
  closed: [],
});

export function canTransition(from: SessionState, to: SessionState): boolean {
  return allowsTransition(SESSION_TRANSITIONS, from, to);
}

/** One session's state, moved only through the table. */
export class SessionLifecycle {
  private current: SessionState = 'pending';
  private lastReason: SessionReason = 'created';

  constructor(private readonly onChange?: (from: SessionState, to: SessionState, reason: SessionReason) => void) {}

  get state(): SessionState {
    return this.current;
  }

  get reason(): SessionReason {
    return this.lastReason;
  }

  /** Moves to `next`; throws IllegalTransitionError for a move the table does not allow. */
  transition(next: SessionState, reason: SessionReason): void {
    const from = this.current;
    checkTransition(SESSION_TRANSITIONS, 'session', from, next);
    this.current = next;
    this.lastReason = reason;
    this.onChange?.(from, next, reason);
  }

  /** Closes the session; idempotent. Returns whether this call closed it. */
  close(reason: SessionReason): boolean {
    if (this.current === 'closed') return false;
    this.transition('closed', reason);
    return true;
  }
}
