import type Database from 'better-sqlite3';
import { ADHOC_LIVE_STATES, type AdhocState } from '../../protocol/adhoc.ts';
import { assertTransition } from './adhoc-state.ts';

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

const LIVE_SQL = ADHOC_LIVE_STATES.map((s) => `'${s}'`).join(',');

/** The adhoc_sessions table in the server's SQLite database. */
export class AdhocStore {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
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

  insert(row: AdhocRow): void {
    this.#db
      .prepare(
        `INSERT INTO adhoc_sessions (id, technician_id, technician_name, technician_email, email, state, created_at, activated_at, expires_at,
           ended_at, end_reason, deployment_token_hash, code_hash, code_expires_at, code_failures, computer_name,
           agent_token_hash, pairing_deadline)
         VALUES (@id, @technician_id, @technician_name, @technician_email, @email, @state, @created_at, @activated_at, @expires_at,
           @ended_at, @end_reason, @deployment_token_hash, @code_hash, @code_expires_at, @code_failures, @computer_name,
           @agent_token_hash, @pairing_deadline)`,
      )
      .run(row);
  }

  get(id: string): AdhocRow | undefined {
    return this.#db.prepare('SELECT * FROM adhoc_sessions WHERE id = ?').get(id) as AdhocRow | undefined;
  }

  byDeploymentTokenHash(hash: string): AdhocRow | undefined {
    return this.#db.prepare('SELECT * FROM adhoc_sessions WHERE deployment_token_hash = ?').get(hash) as AdhocRow | undefined;
  }

  byAgentTokenHash(hash: string): AdhocRow | undefined {
    return this.#db.prepare('SELECT * FROM adhoc_sessions WHERE agent_token_hash = ?').get(hash) as AdhocRow | undefined;
  }

  /** The technician's session that still holds a seat, if any. */
  liveForTechnician(technicianId: string): AdhocRow | undefined {
    return this.#db
      .prepare(`SELECT * FROM adhoc_sessions WHERE technician_id = ? AND state IN (${LIVE_SQL})`)
      .get(technicianId) as AdhocRow | undefined;
  }

  /** How many technicians hold a seat now. */
  seatsInUse(): number {
    const row = this.#db
      .prepare(`SELECT COUNT(DISTINCT technician_id) AS n FROM adhoc_sessions WHERE state IN (${LIVE_SQL})`)
      .get() as { n: number };
    return row.n;
  }

  allLive(): AdhocRow[] {
    return this.#db.prepare(`SELECT * FROM adhoc_sessions WHERE state IN (${LIVE_SQL})`).all() as AdhocRow[];
  }

  /** The technician's sessions, newest first: live ones and the last few finished ones. */
  forTechnician(technicianId: string, limit: number): AdhocRow[] {
    return this.#db
      .prepare('SELECT * FROM adhoc_sessions WHERE technician_id = ? ORDER BY created_at DESC LIMIT ?')
      .all(technicianId, limit) as AdhocRow[];
  }

  /** Moves a session to a new state (checked against the table) and sets other columns with it. */
  transition(id: string, to: AdhocState, fields: Partial<Omit<AdhocRow, 'id' | 'state'>> = {}): AdhocRow {
    const row = this.get(id);
    if (!row) throw new Error(`no ad hoc session ${id}`);
    if (row.state !== to) assertTransition(row.state, to);
    this.update(id, { ...fields, state: to });
    return this.get(id)!;
  }

  update(id: string, fields: Partial<Omit<AdhocRow, 'id'>>): void {
    const keys = Object.keys(fields);
    if (keys.length === 0) return;
    for (const k of keys) if (!/^[a-z_]+$/.test(k)) throw new Error(`bad column ${k}`);
    this.#db.prepare(`UPDATE adhoc_sessions SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...fields, id });
  }
}
