import type { AdhocState } from '../../protocol/adhoc.ts';
import { allowsTransition, checkTransition, stateTable } from '../../protocol/state-table.ts';

/** Allowed moves of an ad hoc session (docs/adhoc.md). `ended` and `expired` are final. */
export const ADHOC_TRANSITIONS = stateTable<AdhocState>({
  prepared: ['downloaded', 'ended', 'expired'],
  downloaded: ['code_entered', 'ended', 'expired'],
  code_entered: ['paired', 'ended', 'expired'],
  paired: ['ended', 'expired'],
  ended: [],
  expired: [],
});

export function canTransition(from: AdhocState, to: AdhocState): boolean {
  return allowsTransition(ADHOC_TRANSITIONS, from, to);
}

/** Throws on an illegal move, so a bug shows at once instead of corrupting the table. */
export function assertTransition(from: AdhocState, to: AdhocState): void {
  checkTransition(ADHOC_TRANSITIONS, 'ad hoc session', from, to);
}
