import type { ActionPage, AdminAction, AdminActionRecord } from '../../protocol/index.ts';
import type { Db } from '../db.ts';

/** Who did an administrative action: a logged-in account (page, API) or the admin CLI on the server. */
export type AdminActor = { kind: 'technician'; id: string; label: string } | { kind: 'cli'; label: string };

interface ActionRow {
  id: number;
  at: number;
  actor_kind: 'technician' | 'cli';
  actor_id: string | null;
  actor_label: string;
  action: AdminAction;
  target: string;
  detail: string;
}

const DETAIL_CHARS = 1000;

/**
 * The administration log: who did what to which account or setting, when.
 * Append-only; read newest first with keyset paging on the row id.
 */
export class AdminActionLog {
  private readonly insert;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {
    this.insert = db.prepare('INSERT INTO admin_actions (at, actor_kind, actor_id, actor_label, action, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  record(actor: AdminActor, action: AdminAction, target: string, detail = ''): void {
    this.insert.run(this.now(), actor.kind, actor.kind === 'technician' ? actor.id : null, actor.label, action, target, detail.slice(0, DETAIL_CHARS));
  }

  /** A page newest first; `cursor` is the previous page's `next`. */
  page(cursor: string | undefined, limit: number): ActionPage {
    const before = cursor !== undefined && /^\d{1,15}$/.test(cursor) ? Number(cursor) : Number.MAX_SAFE_INTEGER;
    const rows = this.db.prepare('SELECT * FROM admin_actions WHERE id < ? ORDER BY id DESC LIMIT ?').all(before, limit + 1) as ActionRow[];
    const more = rows.length > limit;
    const actions: AdminActionRecord[] = rows.slice(0, limit).map((row) => ({
      id: row.id,
      at: row.at,
      actorKind: row.actor_kind,
      actorId: row.actor_id,
      actorLabel: row.actor_label,
      action: row.action,
      target: row.target,
      detail: row.detail,
    }));
    return { actions, next: more ? String(actions[actions.length - 1]?.id ?? '') : null };
  }
}
