import type { AdhocState } from '../../protocol/adhoc.ts';

/** Allowed moves of an ad hoc session (docs/adhoc.md). `ended` and `expired` are final. */
export const ADHOC_TRANSITIONS: Readonly<Record<AdhocState, readonly AdhocState[]>> = {
  prepared: ['downloaded', 'ended', 'expired'],
  downloaded: ['code_entered', 'ended', 'expired'],
  code_entered: ['paired', 'ended', 'expired'],
  paired: ['ended', 'expired'],
  ended: [],
  expired: [],
};

export function canTransition(from: AdhocState, to: AdhocState): boolean {
  return ADHOC_TRANSITIONS[from].includes(to);
}

/** Throws on an illegal move, so a bug shows at once instead of corrupting the table. */
export function assertTransition(from: AdhocState, to: AdhocState): void {
  if (!canTransition(from, to)) throw new Error(`ad hoc session cannot go from ${from} to ${to}`);
}
