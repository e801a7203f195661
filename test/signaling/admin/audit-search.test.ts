import { expect } from 'chai';
import { seedAuditTrail } from '../../../bench/lib/audit-seed.ts';
import { AuditSearch, TEXT_SCAN_WINDOW } from '../../../signaling/admin/audit-search.ts';
import { openDatabase, type Db } from '../../../signaling/db.ts';
import { SqliteAuditSearch } from '../../../signaling/store/sqlite-audit.ts';
import type { SessionQuery } from '../../../protocol/index.ts';

const query = (q: Partial<SessionQuery> = {}): SessionQuery => ({ limit: 50, ...q });

/** Every page of a search, following `next`. */
async function walk(search: AuditSearch, q: Partial<SessionQuery>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await search.page(query({ ...q, ...(cursor ? { cursor } : {}) }));
    ids.push(...page.sessions.map((s) => s.id));
    if (!page.next) return ids;
    cursor = page.next;
  }
  throw new Error('too many pages');
}

describe('signaling/admin/audit-search', () => {
  let db: Db;
  let search: AuditSearch;
  let seeded: ReturnType<typeof seedAuditTrail>;
  const day = 86_400_000;

  beforeEach(() => {
    db = openDatabase(':memory:');
    seeded = seedAuditTrail(db, { sessions: 600, technicians: 4, spanMs: 60 * day });
    // Three sessions created in the same millisecond: the id breaks the tie.
    const t = seeded.start + 30 * day;
    for (const id of ['tie-a-000', 'tie-b-000', 'tie-c-000']) {
      db.prepare("INSERT INTO sessions (id, kind, technician_id, technician_email, created_at, customer_address) VALUES (?, 'pin', 'x', 'tech0@helpdesk.test', ?, '192.0.2.7')").run(id, t);
    }
    search = new AuditSearch(new SqliteAuditSearch(db));
  });
  afterEach(() => db.close());

  const allIds = (where = '', ...params: (string | number)[]): string[] =>
    (db.prepare(`SELECT id FROM sessions ${where} ORDER BY created_at DESC, id DESC`).all(...params) as { id: string }[]).map((r) => r.id);

  it('pages newest first with no gap and no repeat, ties included', async () => {
    expect(await walk(search, { limit: 37 })).to.deep.equal(allIds());
    expect((await walk(search, { limit: 1 })).slice(0, 3)).to.deep.equal(allIds().slice(0, 3));
  });

  it('filters by technician (any case), by date range [from, to) and by text', async () => {
    expect(await walk(search, { technician: 'TECH2@helpdesk.test' })).to.deep.equal(allIds('WHERE technician_email = ?', 'tech2@helpdesk.test'));
    const from = seeded.start + 10 * day;
    const to = seeded.start + 20 * day;
    expect(await walk(search, { from, to })).to.deep.equal(allIds('WHERE created_at >= ? AND created_at < ?', from, to));
    expect(await walk(search, { technician: 'tech1@helpdesk.test', from, to })).to.deep.equal(
      allIds('WHERE technician_email = ? AND created_at >= ? AND created_at < ?', 'tech1@helpdesk.test', from, to),
    );
    expect(await walk(search, { q: '192.0.2.7' })).to.deep.equal(['tie-c-000', 'tie-b-000', 'tie-a-000']);
    expect(await walk(search, { q: 'REPORT-123.PDF' })).to.deep.equal(['seed00000123']);
    expect(await walk(search, { q: 'seed00000042' })).to.deep.equal(['seed00000042']);
    expect(await walk(search, { q: '%' })).to.deep.equal([]);
    expect(await walk(search, { q: 'report-1_3' })).to.deep.equal([]);
    expect(await walk(search, { q: 'customer_lost' })).to.deep.equal(allIds("WHERE end_reason = 'customer_lost'"));
  });

  it('gives start, end, duration from the start, and the event count', async () => {
    const [row] = (await search.page(query({ q: 'seed00000007' }))).sessions;
    const raw = db.prepare('SELECT * FROM sessions WHERE id = ?').get('seed00000007') as { started_at: number; ended_at: number };
    expect(row).to.include({ id: 'seed00000007', startedAt: raw.started_at, endedAt: raw.ended_at, durationMs: raw.ended_at - raw.started_at, eventCount: 8 });
  });

  it('a text search examines a bounded window per page and the next page goes on from there', async function () {
    this.timeout(120_000);
    const big = openDatabase(':memory:');
    try {
      seedAuditTrail(big, { sessions: TEXT_SCAN_WINDOW + 500 });
      const s = new AuditSearch(new SqliteAuditSearch(big));
      const first = await s.page(query({ q: 'report-100.pdf' }));
      expect(first.sessions).to.deep.equal([]);
      expect(first.searchedBackTo).to.be.a('number');
      expect(first.next).to.be.a('string');
      const second = await s.page(query({ q: 'report-100.pdf', cursor: first.next ?? '' }));
      expect(second.sessions.map((x) => x.id)).to.deep.equal(['seed00000100']);
      expect(second.next).to.equal(null);
      // report-10, -100..109, -1000..1099, -10000..10499: found across both windows.
      expect((await walk(s, { q: 'report-10' })).length).to.equal(1 + 10 + 100 + 500);
    } finally {
      big.close();
    }
  });
});

describe('signaling/admin/audit-search over 100k sessions', () => {
  let db: Db;
  let search: AuditSearch;
  let seeded: ReturnType<typeof seedAuditTrail>;

  before(function () {
    this.timeout(300_000);
    db = openDatabase(':memory:');
    seeded = seedAuditTrail(db, { sessions: 100_000 });
    search = new AuditSearch(new SqliteAuditSearch(db));
  });
  after(() => db.close());

  /** The plan of a page query: it must read an index in order, never sort or scan the table. */
  const plan = (q: Partial<SessionQuery>, cursor: { createdAt: number; id: string } | null): string => {
    const { sql, params } = new SqliteAuditSearch(db).sql(query(q), cursor);
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params, 51) as { detail: string }[]).map((r) => r.detail).join(' | ');
  };

  it('every page query walks an index in order (no table scan, no sort), first page or deep', () => {
    const deep = { createdAt: seeded.start + 200 * 86_400_000, id: 'seed00054000' };
    for (const [q, cursor] of [
      [{}, null],
      [{}, deep],
      [{ technician: seeded.emails[3] }, deep],
      [{ from: seeded.start, to: seeded.end }, deep],
      [{ technician: seeded.emails[5], from: seeded.start + 86_400_000 }, null],
    ] as const) {
      const p = plan(q, cursor);
      expect(p, JSON.stringify(q)).to.match(/^(SCAN|SEARCH) s USING INDEX sessions_(created|technician_email)/);
      expect(p, JSON.stringify(q)).not.to.include('TEMP B-TREE');
    }
  });

  it('a page deep in 100k sessions holds exactly the rows after the cursor', async () => {
    const cursor = `${seeded.start + 300 * 86_400_000}~seed99999999`;
    const page = await search.page(query({ cursor, limit: 100 }));
    const expected = (db.prepare('SELECT id FROM sessions WHERE created_at <= ? ORDER BY created_at DESC, id DESC LIMIT 100').all(seeded.start + 300 * 86_400_000) as { id: string }[]).map((r) => r.id);
    expect(page.sessions.map((s) => s.id)).to.deep.equal(expected);
    expect(page.next).to.be.a('string');
  });
});
