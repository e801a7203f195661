import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { runAdminCli } from '../../signaling/admin/cli.ts';
import { openDatabase } from '../../signaling/db.ts';
import { enrolOverApi } from '../../testkit/two-factor.ts';
import { loginCookie, startTestServer } from '../../testkit/server.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

describe('signaling/admin-cli', () => {
  let dir: string;
  const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? '', DATABASE_PATH: path.join(dir, 'rr.db'), DATA_DIR: dir, LOG_LEVEL: 'silent' });
  /** One command, in this process: the CLI's own entry with the environment, stdin and outputs injected. */
  const run = async (args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const status = await runAdminCli(args, {
      env: env(),
      stdin: Readable.from(input === '' ? [] : [input]),
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    });
    return { status, stdout, stderr };
  };
  /** One command as `npm run admin` runs it: a tsx process, the password piped in. */
  const runProcess = (args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(TSX, [path.join(ROOT, 'signaling', 'admin-cli.ts'), ...args], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
      child.stdin.end(input);
    });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-cli-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // The real process: the entry point, a piped password, the exit status and stderr of a failure.
  it('as a process: reads the password from piped stdin, exits 0; a refused command exits 1 with CODE: message on stderr', async function () {
    this.timeout(120_000);
    const [created, weak] = await Promise.all([
      runProcess(['create-admin', '--email', 'root@example.test'], 'admin-password-1\n'),
      runProcess(['create-technician', '--email', 'weak@example.test', '--name', 'W'], 'short\n'),
    ]);
    expect(created, created.stderr).to.include({ status: 0 });
    expect(created.stdout).to.match(/^Created root@example\.test\tAdministrator\tadmin, enabled\t/);
    expect(weak.status).to.equal(1);
    expect(weak.stderr).to.match(/^PASSWORD_TOO_WEAK: /);
    expect((await run(['list'])).stdout).to.include('root@example.test').and.not.include('weak@example.test');
  });

  it('creates an admin and a technician with the password from stdin, lists, disables, sets seats, deletes', async function () {
    this.timeout(60_000);
    expect(await run(['create-admin', '--email', 'root@example.test'], 'admin-password-1\n')).to.include({ status: 0 });
    expect((await run(['create-technician', '--email', 'tech@example.test', '--name', 'Tess'], 'tech-password-1\n')).status).to.equal(0);
    const weak = await run(['create-technician', '--email', 'weak@example.test', '--name', 'W'], 'short\n');
    expect(weak.status).to.equal(1);
    expect(weak.stderr).to.include('PASSWORD_TOO_WEAK');
    expect((await run(['disable', 'tech@example.test'])).status).to.equal(0);
    expect((await run(['set-seats', '4'])).status).to.equal(0);
    const list = await run(['list']);
    expect(list.stdout).to.include('Seats: 4');
    expect(list.stdout).to.match(/root@example\.test\tAdministrator\tadmin, enabled/);
    expect(list.stdout).to.match(/tech@example\.test\tTess\ttechnician, DISABLED/);
    expect(list.stdout).not.to.include('password');
    expect((await run(['delete', 'tech@example.test'])).status).to.equal(0);
    expect((await run(['list'])).stdout).not.to.include('tech@example.test');
    const missing = await run(['enable', 'nobody@example.test']);
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.include('ACCOUNT_NOT_FOUND');
  });

  it('reset-2fa, require-2fa, make-admin, settings, audit --csv and actions do what the page does, logged as "cli"', async function () {
    this.timeout(60_000);
    expect((await run(['create-admin', '--email', 'boss@example.test'], 'admin-password-1\n')).status).to.equal(0);
    expect((await run(['create-technician', '--email', 'tf@example.test', '--name', 'Tia'], 'tech-password-1\n')).status).to.equal(0);
    // Tia enrols through a server on the same database.
    const server = await startTestServer({ DATABASE_PATH: path.join(dir, 'rr.db'), DATA_DIR: dir }, { plugins: [] });
    try {
      await enrolOverApi(server, await loginCookie(server, 'tf@example.test', 'tech-password-1'));
    } finally {
      await server.close();
    }
    expect((await run(['list'])).stdout).to.match(/tf@example\.test\tTia\ttechnician, enabled, 2fa/);
    const reset = await run(['reset-2fa', 'tf@example.test']);
    expect(reset).to.include({ status: 0 });
    expect(reset.stdout).to.include('Two-factor login removed for tf@example.test');
    expect((await run(['list'])).stdout).to.match(/tf@example\.test\tTia\ttechnician, enabled\t/);

    expect((await run(['require-2fa', 'on'])).stdout).to.include('Two-factor login is now required');
    expect(await run(['require-2fa', 'maybe'])).to.include({ status: 1 });
    expect((await run(['settings'])).stdout).to.include('require2fa\ton');
    expect((await run(['set-setting', 'loginSessionHours', '3'])).stdout).to.include('loginSessionHours\t3');
    expect((await run(['set-setting', 'loginSessionHours', '100000'])).stderr).to.include('INVALID_MESSAGE');
    expect((await run(['require-2fa', 'off'])).stdout).to.include('now optional');

    expect((await run(['delete', 'boss@example.test'])).stderr).to.include('LAST_ADMIN');
    expect((await run(['make-admin', 'tf@example.test'])).stdout).to.include('tf@example.test is an administrator');
    expect((await run(['revoke-admin', 'boss@example.test'])).stdout).to.include('boss@example.test is a technician');

    const db = openDatabase(path.join(dir, 'rr.db'));
    try {
      db.prepare("INSERT INTO sessions (id, kind, technician_id, technician_email, created_at, started_at, ended_at, end_reason, customer_address) VALUES ('cli-session-1', 'pin', 'x', 'tf@example.test', ?, ?, ?, 'technician_ended', '=1+2')").run(
        Date.UTC(2026, 2, 3, 10),
        Date.UTC(2026, 2, 3, 10, 1),
        Date.UTC(2026, 2, 3, 10, 11),
      );
    } finally {
      db.close();
    }
    const audit = await run(['audit', '--from', '2026-03-03', '--to', '2026-03-03']);
    expect(audit.stdout).to.match(/2026-03-03 10:01:00\t2026-03-03 10:11:00\t600\ttf@example\.test\t=1\+2\ttechnician_ended\t0\tcli-session-1/);
    expect((await run(['audit', '--from', '2026-03-04'])).stdout).not.to.include('cli-session-1');
    expect((await run(['audit', '--from', 'yesterday'])).stderr).to.include('YYYY-MM-DD');
    const csv = (await run(['audit', '--csv', '--text', 'cli-session'])).stdout;
    expect(csv.split('\r\n')[1]).to.equal("cli-session-1,pin,tf@example.test,'=1+2,2026-03-03T10:00:00.000Z,2026-03-03T10:01:00.000Z,2026-03-03T10:11:00.000Z,600,technician_ended,");

    const actions = (await run(['actions'])).stdout.split('\n').filter(Boolean);
    expect(actions.map((line) => line.split('\t')[2])).to.include.members(['technician.two_factor_reset', 'settings.changed', 'technician.admin_granted', 'technician.admin_revoked', 'audit.exported', 'two_factor.enrolled']);
    expect(actions.find((line) => line.includes('technician.two_factor_reset'))).to.match(/\tcli( \(.+\))?\ttechnician\.two_factor_reset\ttf@example\.test\t/);
  });
});
