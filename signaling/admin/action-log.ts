import type { ActionPage, AdminAction, AdminActionRecord } from '../../protocol/index.ts';
import type { ActionRows } from '../store/types.ts';

/** Who did an administrative action: a logged-in account (page, API) or the admin CLI on the server. */
export type AdminActor = { kind: 'technician'; id: string; label: string } | { kind: 'cli'; label: string };

const DETAIL_CHARS = 1000;

/**
 * The administration log: who did what to which account or setting, when.
 * Append-only; read newest first with keyset paging on the row id.
 */
export class AdminActionLog {
  constructor(
    private readonly rows: ActionRows,
    private readonly now: () => number,
  ) {}

  record(actor: AdminActor, action: AdminAction, target: string, detail = ''): Promise<void> {
    return this.rows.insert({
      at: this.now(),
      actorKind: actor.kind,
      actorId: actor.kind === 'technician' ? actor.id : null,
      actorLabel: actor.label,
      action,
      target,
      detail: detail.slice(0, DETAIL_CHARS),
    });
  }

  /** A page newest first; `cursor` is the previous page's `next`. */
  async page(cursor: string | undefined, limit: number): Promise<ActionPage> {
    const before = cursor !== undefined && /^\d{1,15}$/.test(cursor) ? Number(cursor) : Number.MAX_SAFE_INTEGER;
    const rows = await this.rows.before(before, limit + 1);
    const more = rows.length > limit;
    const actions: AdminActionRecord[] = rows.slice(0, limit).map((row) => ({ ...row, action: row.action as AdminAction }));
    return { actions, next: more ? String(actions[actions.length - 1]?.id ?? '') : null };
  }
}
