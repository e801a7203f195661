import type { AdhocState } from '../../protocol/adhoc.ts';
import type { Db } from '../db.ts';
import { LIVE_SQL, fieldColumns, stateList, type AdhocCreateOutcome, type AdhocFields, type AdhocRow, type AdhocRows } from './adhoc-rows.ts';

/**
 * The adhoc_sessions table in the server's SQLite file (the default). Each
 * method is synchronous underneath (one transaction where it reads before it
 * writes), so no two steps interleave, also not across processes sharing the file.
 */
export class SqliteAdhoc implements AdhocRows {
  constructor(private readonly db: Db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS adhoc_sessions (
        id TEXT PRIMARY KEY,
        technician_id TEXT NOT NULL,
        technician_name TEXT NOT NULL,
        technician_email TEXT NOT NULL,
        email TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('prepared','downloaded','code_entered','paired','ended','expired')),
        created_at INTEGER NOT NULL,
        activated_at INTEGER,
        expires_at INTEGER NOT NULL,
        ended_at INTEGER,
        end_reason TEXT,
        deployment_token_hash TEXT NOT NULL UNIQUE,
        code_hash TEXT,
        code_expires_at INTEGER,
        code_failures INTEGER NOT NULL DEFAULT 0,
        computer_name TEXT,
        agent_token_hash TEXT UNIQUE,
        pairing_deadline INTEGER
      );
      CREATE INDEX IF NOT EXISTS adhoc_sessions_technician ON adhoc_sessions (technician_id, state);
    `);
  }

  async create(row: AdhocRow, seats: number | null): Promise<AdhocCreateOutcome> {
    // IMMEDIATE: the write lock is taken before the reads, so two processes on one file cannot both take the last seat.
    const run = this.db.transaction((): AdhocCreateOutcome => {
      if (this.liveOf(row.technician_id)) return 'already_active';
      if (seats !== null && this.seats() >= seats) return 'no_seat';
      this.db
        .prepare(
          `INSERT INTO adhoc_sessions (id, technician_id, technician_name, technician_email, email, state, created_at, activated_at, expires_at,
             ended_at, end_reason, deployment_token_hash, code_hash, code_expires_at, code_failures, computer_name,
             agent_token_hash, pairing_deadline)
           VALUES (@id, @technician_id, @technician_name, @technician_email, @email, @state, @created_at, @activated_at, @expires_at,
             @ended_at, @end_reason, @deployment_token_hash, @code_hash, @code_expires_at, @code_failures, @computer_name,
             @agent_token_hash, @pairing_deadline)`,
        )
        .run(row);
      return 'created';
    });
    return run.immediate();
  }

  async get(id: string): Promise<AdhocRow | undefined> {
    return this.one('SELECT * FROM adhoc_sessions WHERE id = ?', id);
  }

  async byDeploymentTokenHash(hash: string): Promise<AdhocRow | undefined> {
    return this.one('SELECT * FROM adhoc_sessions WHERE deployment_token_hash = ?', hash);
  }

  async byAgentTokenHash(hash: string): Promise<AdhocRow | undefined> {
    return this.one('SELECT * FROM adhoc_sessions WHERE agent_token_hash = ?', hash);
  }

  async liveForTechnician(technicianId: string): Promise<AdhocRow | undefined> {
    return this.liveOf(technicianId);
  }

  async seatsInUse(): Promise<number> {
    return this.seats();
  }

  async allLive(): Promise<AdhocRow[]> {
    return this.db.prepare(`SELECT * FROM adhoc_sessions WHERE state IN (${LIVE_SQL})`).all() as AdhocRow[];
  }

  async forTechnician(technicianId: string, limit: number): Promise<AdhocRow[]> {
    return this.db.prepare('SELECT * FROM adhoc_sessions WHERE technician_id = ? ORDER BY created_at DESC LIMIT ?').all(technicianId, limit) as AdhocRow[];
  }

  async transition(id: string, from: readonly AdhocState[], to: AdhocState, fields: AdhocFields = {}): Promise<AdhocRow | undefined> {
    return this.change(id, from, fields, to);
  }

  async update(id: string, while_: readonly AdhocState[], fields: AdhocFields): Promise<AdhocRow | undefined> {
    return this.change(id, while_, fields);
  }

  async codeFailed(id: string, voidAt: number): Promise<number | undefined> {
    const row = this.db
      .prepare(
        `UPDATE adhoc_sessions SET code_failures = code_failures + 1,
           code_hash = CASE WHEN code_failures + 1 >= @voidAt THEN NULL ELSE code_hash END,
           code_expires_at = CASE WHEN code_failures + 1 >= @voidAt THEN NULL ELSE code_expires_at END
         WHERE id = @id AND state = 'downloaded' RETURNING code_failures`,
      )
      .get({ id, voidAt }) as { code_failures: number } | undefined;
    return row?.code_failures;
  }

  private change(id: string, states: readonly AdhocState[], fields: AdhocFields, state?: AdhocState): AdhocRow | undefined {
    const values: Record<string, unknown> = { id };
    const sets = fieldColumns(fields).map((k) => {
      values[k] = fields[k];
      return `${k} = @${k}`;
    });
    if (state !== undefined) {
      values.state = state;
      sets.push('state = @state');
    }
    if (sets.length === 0) sets.push('id = id');
    return this.db.prepare(`UPDATE adhoc_sessions SET ${sets.join(', ')} WHERE id = @id AND state IN (${stateList(states)}) RETURNING *`).get(values) as AdhocRow | undefined;
  }

  private one(sql: string, value: string): AdhocRow | undefined {
    return this.db.prepare(sql).get(value) as AdhocRow | undefined;
  }

  private liveOf(technicianId: string): AdhocRow | undefined {
    return this.db.prepare(`SELECT * FROM adhoc_sessions WHERE technician_id = ? AND state IN (${LIVE_SQL})`).get(technicianId) as AdhocRow | undefined;
  }

  private seats(): number {
    return (this.db.prepare(`SELECT COUNT(DISTINCT technician_id) AS n FROM adhoc_sessions WHERE state IN (${LIVE_SQL})`).get() as { n: number }).n;
  }
}
