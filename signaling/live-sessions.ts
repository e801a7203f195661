import { createHash } from 'node:crypto';
import type { Db } from './db.ts';
import type { Session, TechnicianIdentity } from './session.ts';

/** SHA-256 of a customer token: the registry and the database keep only this. */
export const tokenDigest = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * What a restarted server needs to bring back a session a customer has joined:
 * who runs it, the customer's token digest (never the token), whether it was
 * activated. Written when a code is entered and when a session is activated,
 * removed when it closes, so a SIGKILL leaves exactly the live ones behind.
 */
export interface LiveSessionRecord {
  id: string;
  technician: TechnicianIdentity;
  tokenDigest: string;
  customer: NonNullable<Session['customer']>;
  forceRelay: boolean;
  createdAt: number;
  activated: boolean;
}

/**
 * The live PIN sessions in the server's database (not for `:memory:`, which a
 * restart cannot read). Its own table, created on first use.
 */
export class LiveSessions {
  constructor(private readonly db: Db) {
    db.exec('CREATE TABLE IF NOT EXISTS live_sessions (id TEXT PRIMARY KEY, record TEXT NOT NULL)');
  }

  save(session: Session): void {
    if (session.tokenDigest === null || session.customer === null) return;
    const state = session.lifecycle.state;
    const record: LiveSessionRecord = {
      id: session.id,
      technician: session.technician,
      tokenDigest: session.tokenDigest,
      customer: session.customer,
      forceRelay: session.forceRelay,
      createdAt: session.createdAt,
      activated: state === 'active' || state === 'suspended',
    };
    this.db.prepare('INSERT INTO live_sessions (id, record) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record').run(session.id, JSON.stringify(record));
  }

  forget(sessionId: string): void {
    this.db.prepare('DELETE FROM live_sessions WHERE id = ?').run(sessionId);
  }

  /** Every record left by the last run (a record that does not parse is dropped). */
  all(): LiveSessionRecord[] {
    const rows = this.db.prepare('SELECT id, record FROM live_sessions').all() as { id: string; record: string }[];
    const records: LiveSessionRecord[] = [];
    for (const row of rows) {
      try {
        records.push(JSON.parse(row.record) as LiveSessionRecord);
      } catch {
        this.forget(row.id);
      }
    }
    return records;
  }
}
