import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditSearch } from '../signaling/admin/audit-search.ts';
import { openDatabase, type Db } from '../signaling/db.ts';
import { storeServices } from '../signaling/store/services.ts';
import { SqliteAuditSearch } from '../signaling/store/sqlite-audit.ts';
import { sqliteStore } from '../signaling/store/sqlite-store.ts';
import { seedAuditTrail } from './lib/audit-seed.ts';
import { median } from './lib/stats.ts';
import type { BenchRow } from './lib/table.ts';

const DAY = 86_400_000;

/** Median milliseconds of `runs` calls. */
async function time(runs: number, fn: () => unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** Events written per second with the schema as it is, and with an FTS5 trigram index kept by a trigger (the rejected design). */
function writeRate(dir: string, sessions: number, fts: boolean): number {
  const db = openDatabase(path.join(dir, `write-${fts ? 'fts' : 'plain'}.db`));
  try {
    if (fts) {
      db.exec(`CREATE VIRTUAL TABLE audit_events_fts USING fts5(detail, actor_label, content='audit_events', content_rowid='id', tokenize='trigram');
        CREATE TRIGGER audit_events_fts_insert AFTER INSERT ON audit_events BEGIN
          INSERT INTO audit_events_fts(rowid, detail, actor_label) VALUES (new.id, new.detail, new.actor_label); END;`);
    }
    const start = performance.now();
    seedAuditTrail(db, { sessions });
    return (sessions * 8) / ((performance.now() - start) / 1000);
  } finally {
    db.close();
  }
}

/**
 * The administration page's audit trail over 100k sessions (800k events) in a
 * SQLite file: a keyset page deep in the trail against the OFFSET page it
 * replaces, filtered pages, one text-search window, the whole CSV export, and
 * the write cost of the full-text index that was rejected (docs/decisions.md).
 */
export async function runAdminAudit(opts: { quick: boolean }): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-bench-audit-'));
  const sessions = 100_000;
  let db: Db | null = null;
  try {
    db = openDatabase(path.join(dir, 'audit.db'));
    const seeded = seedAuditTrail(db, { sessions });
    db.exec('ANALYZE');
    const search = new AuditSearch(new SqliteAuditSearch(db));
    const runs = opts.quick ? 5 : 21;
    const mid = `${seeded.start + 182 * DAY}~seed99999999`;
    const first = await time(runs, () => search.page({ limit: 50 }));
    const deep = await time(runs, () => search.page({ limit: 50, cursor: mid }));
    const offset = await time(runs, () => db?.prepare('SELECT * FROM sessions ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 50000').all());
    const technician = await time(runs, () => search.page({ limit: 50, technician: seeded.emails[7], from: seeded.start + 100 * DAY, to: seeded.start + 130 * DAY }));
    const textMiss = await time(Math.min(runs, 7), () => search.page({ limit: 50, q: 'no-such-text-anywhere' }));
    const textCommon = await time(runs, () => search.page({ limit: 50, q: 'relay' }));

    const { admin } = storeServices(sqliteStore(db), { loginSessionHours: 12, twoFactorKeyFile: null });
    let bytes = 0;
    let longestBatch = 0;
    const exportStart = performance.now();
    let batchStart = performance.now();
    for await (const chunk of admin.exportCsv({ kind: 'cli', label: 'bench' }, {})) {
      bytes += Buffer.byteLength(chunk);
      longestBatch = Math.max(longestBatch, performance.now() - batchStart);
      await new Promise((resolve) => setImmediate(resolve));
      batchStart = performance.now();
    }
    const exportSeconds = (performance.now() - exportStart) / 1000;
    db.close();
    db = null;

    const writeSessions = opts.quick ? 5_000 : 20_000;
    const plain = writeRate(dir, writeSessions, false);
    const withFts = writeRate(dir, writeSessions, true);
    const group = 'admin audit (100k sessions)';
    return [
      { group, name: 'keyset page 50 rows at 50k deep', value: deep, unit: 'ms', reference: { name: 'LIMIT/OFFSET 50000', value: offset } },
      { group, name: 'first page', value: first, unit: 'ms' },
      { group, name: 'technician + 30-day range page', value: technician, unit: 'ms' },
      { group, name: 'text search, no match (one 10k-session window)', value: textMiss, unit: 'ms' },
      { group, name: 'text search, common word', value: textCommon, unit: 'ms' },
      { group, name: 'CSV export of all sessions', value: exportSeconds, unit: 's', note: `${(bytes / 1e6).toFixed(0)} MB` },
      { group, name: 'CSV export, longest batch between yields', value: longestBatch, unit: 'ms' },
      { group, name: 'audit writes, schema as shipped', value: plain, unit: 'events/s', reference: { name: 'with an FTS5 trigram index', value: withFts } },
    ];
  } finally {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
