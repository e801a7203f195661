import type { ClientKind, ServerMessage, SessionSummary } from '../protocol/index.ts';
import type { Log } from './logger.ts';
import type { SessionLifecycle } from './session-state.ts';

import type { Role } from '../protocol/common.ts';
export type { Role };

/** One end of a signaling socket, as the registry sees it. */
export interface Connection {
  send(message: ServerMessage): void;
  close(code: number, reason: string): void;
}

export interface TechnicianIdentity {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
}

/** Who is talking on a socket: a logged-in technician or the customer bound to one session. */
export type Party = { role: 'technician'; technician: TechnicianIdentity } | { role: 'customer'; session: Session };

/** A live PIN session (closed sessions leave the registry; their trail stays in the audit log). */
export interface Session {
  readonly id: string;
  /** The lead: the technician who runs the session (a transfer changes it). */
  technician: TechnicianIdentity;
  /** A second technician the lead invited: waiting for the customer's answer, or joined (sees the screen through the lead's console). */
  colleague: { technician: TechnicianIdentity; state: 'invited' | 'joined'; control: boolean } | null;
  readonly lifecycle: SessionLifecycle;
  readonly createdAt: number;
  readonly forceRelay: boolean;
  /** Lines about this session (a lazy child logger: signaling/logger.ts). */
  readonly log: Log;
  code: string | null;
  codeExpiresAt: number | null;
  expiryTimer: unknown;
  /** SHA-256 of the token issued when the code is entered (signaling/live-sessions.ts); the token lets the customer resume. */
  tokenDigest: string | null;
  customer: { kind: ClientKind; address: string; joinedAt: number; name: string | null; code: string } | null;
  customerConn: Connection | null;
  /** Sides whose socket dropped, with their grace timers. */
  readonly lost: Map<Role, unknown>;
}

export function summarize(session: Session): SessionSummary {
  const summary: SessionSummary = {
    sessionId: session.id,
    state: session.lifecycle.state,
    createdAt: session.createdAt,
    codeExpiresAt: session.codeExpiresAt,
    customer: session.customer ? summarizeCustomer(session.customer) : null,
    forceRelay: session.forceRelay,
    reason: session.lifecycle.reason,
  };
  if (session.code !== null) summary.code = session.code;
  return summary;
}

function summarizeCustomer(customer: NonNullable<Session['customer']>): NonNullable<SessionSummary['customer']> {
  const out: NonNullable<SessionSummary['customer']> = { kind: customer.kind, address: customer.address.slice(0, 64), joinedAt: customer.joinedAt, code: customer.code };
  if (customer.name !== null) out.name = customer.name;
  return out;
}
