import type { AdhocState } from '../../protocol/adhoc.ts';
import { ADHOC_COLUMNS, LIVE_SQL, fieldColumns, stateList, type AdhocCreateOutcome, type AdhocFields, type AdhocRow, type AdhocRows } from './adhoc-rows.ts';
import type { PgLink } from './pg-link.ts';

/** The transaction lock that makes two nodes' seat checks and inserts run one after the other. */
const SEAT_LOCK = 0x52524153; // "RRAS"

/**
 * The ad hoc pairings in PostgreSQL (DATABASE_URL; migration 2 in
 * pg-schema.ts), shared by every node. A seat is taken under a transaction
 * advisory lock; a state change, an update and a wrong code are each one
 * conditional UPDATE ... RETURNING, so of two nodes racing (both expiry
 * timers firing) exactly one wins.
 */
export class PgAdhoc implements AdhocRows {
  constructor(private readonly pg: PgLink) {}

  async create(row: AdhocRow, seats: number | null): Promise<AdhocCreateOutcome> {
    return this.pg.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [SEAT_LOCK]);
      const live = await client.query(`SELECT 1 FROM adhoc_sessions WHERE technician_id = $1 AND state IN (${LIVE_SQL}) LIMIT 1`, [row.technician_id]);
      if (live.rowCount) return 'already_active';
      if (seats !== null) {
        const held = await client.query<{ n: number }>(`SELECT COUNT(DISTINCT technician_id)::int AS n FROM adhoc_sessions WHERE state IN (${LIVE_SQL})`);
        if ((held.rows[0]?.n ?? 0) >= seats) return 'no_seat';
      }
      await client.query(
        `INSERT INTO adhoc_sessions (${ADHOC_COLUMNS.join(', ')}) VALUES (${ADHOC_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
        ADHOC_COLUMNS.map((c) => row[c]),
      );
      return 'created';
    });
  }

  get(id: string): Promise<AdhocRow | undefined> {
    return this.one('SELECT * FROM adhoc_sessions WHERE id = $1', [id]);
  }

  byDeploymentTokenHash(hash: string): Promise<AdhocRow | undefined> {
    return this.one('SELECT * FROM adhoc_sessions WHERE deployment_token_hash = $1', [hash]);
  }

  byAgentTokenHash(hash: string): Promise<AdhocRow | undefined> {
    return this.one('SELECT * FROM adhoc_sessions WHERE agent_token_hash = $1', [hash]);
  }

  liveForTechnician(technicianId: string): Promise<AdhocRow | undefined> {
    return this.one(`SELECT * FROM adhoc_sessions WHERE technician_id = $1 AND state IN (${LIVE_SQL}) LIMIT 1`, [technicianId]);
  }

  async seatsInUse(): Promise<number> {
    const row = (await this.pg.query<{ n: number }>(`SELECT COUNT(DISTINCT technician_id)::int AS n FROM adhoc_sessions WHERE state IN (${LIVE_SQL})`)).rows[0];
    return row?.n ?? 0;
  }

  async allLive(): Promise<AdhocRow[]> {
    return (await this.pg.query<AdhocRow>(`SELECT * FROM adhoc_sessions WHERE state IN (${LIVE_SQL})`)).rows;
  }

  async forTechnician(technicianId: string, limit: number): Promise<AdhocRow[]> {
    return (await this.pg.query<AdhocRow>('SELECT * FROM adhoc_sessions WHERE technician_id = $1 ORDER BY created_at DESC LIMIT $2', [technicianId, limit])).rows;
  }

  transition(id: string, from: readonly AdhocState[], to: AdhocState, fields: AdhocFields = {}): Promise<AdhocRow | undefined> {
    return this.change(id, from, fields, to);
  }

  update(id: string, while_: readonly AdhocState[], fields: AdhocFields): Promise<AdhocRow | undefined> {
    return this.change(id, while_, fields);
  }

  async codeFailed(id: string, voidAt: number): Promise<number | undefined> {
    const row = (
      await this.pg.query<{ code_failures: number }>(
        `UPDATE adhoc_sessions SET code_failures = code_failures + 1,
           code_hash = CASE WHEN code_failures + 1 >= $2 THEN NULL ELSE code_hash END,
           code_expires_at = CASE WHEN code_failures + 1 >= $2 THEN NULL ELSE code_expires_at END
         WHERE id = $1 AND state = 'downloaded' RETURNING code_failures`,
        [id, voidAt],
      )
    ).rows[0];
    return row?.code_failures;
  }

  private async change(id: string, states: readonly AdhocState[], fields: AdhocFields, state?: AdhocState): Promise<AdhocRow | undefined> {
    const params: unknown[] = [id];
    const sets = fieldColumns(fields).map((k) => {
      params.push(fields[k]);
      return `${k} = $${params.length}`;
    });
    if (state !== undefined) {
      params.push(state);
      sets.push(`state = $${params.length}`);
    }
    if (sets.length === 0) sets.push('id = id');
    return this.one(`UPDATE adhoc_sessions SET ${sets.join(', ')} WHERE id = $1 AND state IN (${stateList(states)}) RETURNING *`, params);
  }

  private async one(sql: string, params: unknown[]): Promise<AdhocRow | undefined> {
    return (await this.pg.query<AdhocRow>(sql, params)).rows[0];
  }
}
