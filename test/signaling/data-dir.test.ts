import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError } from '../../signaling/config.ts';
import { createTechnician, startTestServer } from '../../testkit/server.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const modeOf = (file: string): string => (fs.statSync(file).mode & 0o777).toString(8).padStart(3, '0');

/** Another local user must not read the accounts, logins and audit trail, nor swap the database. */
describe('signaling: the data folder and the database are private to the server', () => {
  let parent: string;
  beforeEach(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-data-'));
  });
  afterEach(() => {
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('another local user cannot read a new DATA_DIR or its database, WAL and SHM files (0700, 0600)', async () => {
    const dataDir = path.join(parent, 'data');
    const umask = process.umask(0o002); // a permissive umask, under which they were 775 and 664
    try {
      const server = await startTestServer({ DATA_DIR: dataDir, DATABASE_PATH: path.join(dataDir, 'relay-rescue.db') }, { plugins: [] });
      try {
        await createTechnician(server, { email: 'ann@example.test', password: 'password-1234', name: 'Ann' });
        expect(modeOf(dataDir)).to.equal('700');
        for (const suffix of ['', '-wal', '-shm']) expect(modeOf(path.join(dataDir, `relay-rescue.db${suffix}`)), suffix || 'db').to.equal('600');
      } finally {
        await server.close();
      }
      const after = process.umask(0o002); // reads it (the getter without an argument is deprecated)
      expect(after).to.equal(0o002); // the process's own umask is restored after the open
    } finally {
      process.umask(umask);
    }
  });

  it('database files an older version left readable (644) are made 0600 at start', async () => {
    const dataDir = path.join(parent, 'data');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    const first = await startTestServer({ DATA_DIR: dataDir, DATABASE_PATH: path.join(dataDir, 'relay-rescue.db') }, { plugins: [] });
    await first.close();
    fs.chmodSync(path.join(dataDir, 'relay-rescue.db'), 0o644);
    const second = await startTestServer({ DATA_DIR: dataDir, DATABASE_PATH: path.join(dataDir, 'relay-rescue.db') }, { plugins: [] });
    try {
      expect(modeOf(path.join(dataDir, 'relay-rescue.db'))).to.equal('600');
    } finally {
      await second.close();
    }
  });

  it('refuses to start on a DATA_DIR other users can write to (they could swap the database)', async () => {
    const dataDir = path.join(parent, 'shared');
    fs.mkdirSync(dataDir);
    fs.chmodSync(dataDir, 0o775);
    let error: unknown;
    try {
      const server = await startTestServer({ DATA_DIR: dataDir, DATABASE_PATH: path.join(dataDir, 'relay-rescue.db') }, { plugins: [] });
      await server.close();
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigError).and.have.property('variable', 'DATA_DIR');
    expect(fs.existsSync(path.join(dataDir, 'relay-rescue.db'))).to.equal(false);

    // `npm start` says so and exits with 2, as for any configuration error.
    fs.chmodSync(dataDir, 0o777);
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'signaling', 'main.ts')], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.include(`Configuration error: DATA_DIR: ${dataDir} is writable by other users (mode 777)`);
    expect(run.stderr).to.include(`chmod 700 "${dataDir}"`);
  });
});
