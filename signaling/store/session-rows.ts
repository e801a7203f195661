import type { AuditEvent } from '../../protocol/index.ts';
import type { ActionRow, AuditActorRow, AuditRecord, SessionRecord, SessionSearchRow } from './types.ts';

/** The sessions, audit_events and admin_actions columns, as both databases return them. */
export interface SessionColumns {
  id: string;
  kind: string;
  technician_id: string | null;
  technician_email: string;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  end_reason: string | null;
  force_relay: number | boolean;
  customer_address: string | null;
}

export interface EventColumns {
  id: number;
  session_id: string;
  at: number;
  event: AuditEvent;
  actor_kind: AuditActorRow['kind'];
  actor_id: string | null;
  actor_label: string;
  detail: string;
}

export interface ActionColumns {
  id: number;
  at: number;
  actor_kind: 'technician' | 'cli';
  actor_id: string | null;
  actor_label: string;
  action: string;
  target: string;
  detail: string;
}

export const toSession = (row: SessionColumns): SessionRecord => ({
  id: row.id,
  kind: row.kind,
  technicianId: row.technician_id,
  technicianEmail: row.technician_email,
  createdAt: row.created_at,
  startedAt: row.started_at,
  endedAt: row.ended_at,
  endReason: row.end_reason,
  forceRelay: row.force_relay === 1 || row.force_relay === true,
  customerAddress: row.customer_address,
});

export const toSearchRow = (row: SessionColumns & { event_count: number }): SessionSearchRow => ({ ...toSession(row), eventCount: Number(row.event_count) });

export const toEvent = (row: EventColumns): AuditRecord => ({
  id: Number(row.id),
  sessionId: row.session_id,
  at: row.at,
  event: row.event,
  actor: { kind: row.actor_kind, id: row.actor_id, label: row.actor_label },
  detail: row.detail,
});

export const toAction = (row: ActionColumns): ActionRow => ({
  id: Number(row.id),
  at: row.at,
  actorKind: row.actor_kind,
  actorId: row.actor_id,
  actorLabel: row.actor_label,
  action: row.action,
  target: row.target,
  detail: row.detail,
});
