import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../signaling/store/sqlite-store.ts';
import { BACKSTOP_PAGES } from '../../signaling/store/wal-checkpointer.ts';

describe('signaling/store/wal-checkpointer', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-wal-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('copies committed pages into the database file from its own thread while the server runs, and keeps them across a reopen', async () => {
    const file = path.join(dir, 'relay-rescue.db');
    const store = openSqliteStore(file);
    try {
      // The server's connection leaves checkpoints to the thread (its own only past the backstop).
      expect(Number(store.db.pragma('wal_autocheckpoint', { simple: true }))).to.equal(BACKSTOP_PAGES);
      const before = fs.statSync(file).size;
      const insert = store.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
      store.db.transaction(() => {
        for (let i = 0; i < 200; i++) insert.run(`k${i}`, 'x'.repeat(2000));
      })();
      // Far fewer pages than the backstop: only the thread can have grown the file. Bounded wait.
      let grown = false;
      for (let i = 0; i < 100 && !grown; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        grown = fs.statSync(file).size > before;
      }
      expect(grown, 'the database file did not grow: no checkpoint ran').to.equal(true);
    } finally {
      await store.close();
    }
    const again = openSqliteStore(file);
    try {
      expect(again.db.prepare('SELECT COUNT(*) AS n FROM settings WHERE key LIKE ?').get('k%')).to.deep.equal({ n: 200 });
    } finally {
      await again.close();
    }
  });
});
