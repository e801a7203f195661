/**
 * The one helper behind every lifecycle table (PIN session, ad hoc session,
 * permission): for each state, the states it may move to. Anything not listed
 * is a bug and throws loudly, so it shows at once instead of corrupting state.
 * Each table's test writes its expected edges out independently of the table.
 */
export type StateTable<S extends string> = Readonly<Record<S, readonly S[]>>;

/** Freezes a table (and each row), so nothing can add an edge at run time. */
export function stateTable<S extends string>(edges: Record<S, readonly S[]>): StateTable<S> {
  for (const row of Object.values<readonly S[]>(edges)) Object.freeze(row);
  return Object.freeze(edges);
}

export function allowsTransition<S extends string>(table: StateTable<S>, from: S, to: S): boolean {
  return table[from].includes(to);
}

/** A move the table does not allow; `machine` names the lifecycle ("session", "permission files"). */
export class IllegalTransitionError extends Error {
  constructor(
    readonly machine: string,
    readonly from: string,
    readonly to: string,
    detail?: string,
  ) {
    super(`${machine}: illegal transition ${from} -> ${to}${detail ? ` (${detail})` : ''}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Throws IllegalTransitionError unless the table allows `from -> to`. */
export function checkTransition<S extends string>(table: StateTable<S>, machine: string, from: S, to: S, detail?: string): void {
  if (!allowsTransition(table, from, to)) throw new IllegalTransitionError(machine, from, to, detail);
}
