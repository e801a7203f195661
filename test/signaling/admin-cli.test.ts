import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

describe('signaling/admin-cli', () => {
  let dir: string;
  const run = (args: string[], input = ''): { status: number | null; stdout: string; stderr: string } => {
    const result = spawnSync(TSX, [path.join(ROOT, 'signaling', 'admin-cli.ts'), ...args], {
      input,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', DATABASE_PATH: path.join(dir, 'rr.db'), LOG_LEVEL: 'silent' },
      timeout: 30_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-cli-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates an admin and a technician with the password from stdin, lists, disables, sets seats, deletes', () => {
    expect(run(['create-admin', '--email', 'root@example.test'], 'admin-password-1\n')).to.include({ status: 0 });
    expect(run(['create-technician', '--email', 'tech@example.test', '--name', 'Tess'], 'tech-password-1\n').status).to.equal(0);
    const weak = run(['create-technician', '--email', 'weak@example.test', '--name', 'W'], 'short\n');
    expect(weak.status).to.equal(1);
    expect(weak.stderr).to.include('PASSWORD_TOO_WEAK');
    expect(run(['disable', 'tech@example.test']).status).to.equal(0);
    expect(run(['set-seats', '4']).status).to.equal(0);
    const list = run(['list']);
    expect(list.stdout).to.include('Seats: 4');
    expect(list.stdout).to.match(/root@example\.test\tAdministrator\tadmin, enabled/);
    expect(list.stdout).to.match(/tech@example\.test\tTess\ttechnician, DISABLED/);
    expect(list.stdout).not.to.include('password');
    expect(run(['delete', 'tech@example.test']).status).to.equal(0);
    expect(run(['list']).stdout).not.to.include('tech@example.test');
    const missing = run(['enable', 'nobody@example.test']);
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.include('ACCOUNT_NOT_FOUND');
  });
});
