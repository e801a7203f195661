import { ADHOC_LIVE_STATES, ADHOC_STATES, type AdhocState } from '../../protocol/adhoc.ts';

/** One row of adhoc_sessions. Secrets are stored only as SHA-256 hashes; the password not at all. */
export interface AdhocRow {
  id: string;
  technician_id: string;
  technician_name: string;
  technician_email: string;
  email: string;
  state: AdhocState;
  created_at: number;
  activated_at: number | null;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
  deployment_token_hash: string;
  code_hash: string | null;
  code_expires_at: number | null;
  code_failures: number;
  computer_name: string | null;
  agent_token_hash: string | null;
  pairing_deadline: number | null;
}

/** The columns a step may change (never the id). */
export type AdhocFields = Partial<Omit<AdhocRow, 'id' | 'state'>>;

/** What `create` decided: stored, or refused because of the technician's live session or the seats. */
export type AdhocCreateOutcome = 'created' | 'already_active' | 'no_seat';

/**
 * The ad hoc pairings (deployments, security codes and their failures,
 * pairings with their 24-hour expiry), in the server's database: SQLite
 * (signaling/store/sqlite-adhoc.ts) or PostgreSQL (pg-adhoc.ts), so that every
 * node of a cluster sees the same rows. Every change that two nodes could race
 * on is one conditional statement: a seat is taken, a state left, a wrong code
 * counted exactly once.
 */
export interface AdhocRows {
  /** Inserts the row unless the technician holds a live session or `seats` (null: unlimited) are all held, atomically. */
  create(row: AdhocRow, seats: number | null): Promise<AdhocCreateOutcome>;
  get(id: string): Promise<AdhocRow | undefined>;
  byDeploymentTokenHash(hash: string): Promise<AdhocRow | undefined>;
  byAgentTokenHash(hash: string): Promise<AdhocRow | undefined>;
  /** The technician's session that still holds a seat, if any. */
  liveForTechnician(technicianId: string): Promise<AdhocRow | undefined>;
  /** How many technicians hold a seat now. */
  seatsInUse(): Promise<number>;
  allLive(): Promise<AdhocRow[]>;
  /** The technician's sessions, newest first. */
  forTechnician(technicianId: string, limit: number): Promise<AdhocRow[]>;
  /**
   * Moves the session from one of the states `from` to `to` (checked against
   * the state table by the caller) with other columns, if it is still in one
   * of them: the row after the move, or undefined when another step (or node)
   * moved it first.
   */
  transition(id: string, from: readonly AdhocState[], to: AdhocState, fields?: AdhocFields): Promise<AdhocRow | undefined>;
  /** Sets columns while the session is in one of the states `while` (a live one); the row after, or undefined. */
  update(id: string, while_: readonly AdhocState[], fields: AdhocFields): Promise<AdhocRow | undefined>;
  /**
   * Counts one wrong security code of a `downloaded` session; the code is
   * voided (hash and expiry cleared) when the count reaches `voidAt`. The
   * count after, or undefined if the session is no longer waiting for a code.
   */
  codeFailed(id: string, voidAt: number): Promise<number | undefined>;
}

export const ADHOC_COLUMNS: readonly (keyof AdhocRow)[] = [
  'id',
  'technician_id',
  'technician_name',
  'technician_email',
  'email',
  'state',
  'created_at',
  'activated_at',
  'expires_at',
  'ended_at',
  'end_reason',
  'deployment_token_hash',
  'code_hash',
  'code_expires_at',
  'code_failures',
  'computer_name',
  'agent_token_hash',
  'pairing_deadline',
];

/** The states that hold a seat, as an SQL list (constants, never input). */
export const LIVE_SQL = ADHOC_LIVE_STATES.map((s) => `'${s}'`).join(',');

/** The column names of `fields`, checked against the table's (so no caller text reaches the SQL). */
export function fieldColumns(fields: AdhocFields): (keyof AdhocFields)[] {
  const keys = Object.keys(fields) as (keyof AdhocFields)[];
  for (const k of keys) if (!ADHOC_COLUMNS.includes(k) || (k as string) === 'id' || (k as string) === 'state') throw new Error(`bad ad hoc column ${k}`);
  return keys;
}

/** States as an SQL list, each checked against the protocol's (constants, never input). */
export function stateList(states: readonly AdhocState[]): string {
  for (const s of states) if (!ADHOC_STATES.includes(s)) throw new Error(`bad ad hoc state ${String(s)}`);
  return states.length === 0 ? "''" : states.map((s) => `'${s}'`).join(',');
}
