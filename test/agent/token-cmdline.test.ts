import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { maskSecretArguments } from '../../agent/hide-secrets.ts';
import { createTechnician, loginCookie, openTechnicianSocket, requestJson, startTestServer, type RunningServer } from '../../testkit/server.ts';
import { until } from '../../testkit/wait.ts';
import { startXvfb, type TestXvfb } from '../../testkit/xvfb.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** /proc/PID/cmdline as another local user's `ps` reads it. */
const cmdlineOf = (pid: number): string => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');

describe('agent: the session token stays out of the process list', function () {
  this.timeout(90_000);
  let server: RunningServer;
  let xvfb: TestXvfb;
  const children: ChildProcess[] = [];
  const homes: string[] = [];
  const home = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-agent-home-'));
    homes.push(dir);
    return dir;
  };

  before(async () => {
    server = await startTestServer();
    xvfb = await startXvfb(320, 240);
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await server.close();
    await xvfb.stop();
    for (const dir of homes) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A live customer token: a technician makes a code, the customer enters it over HTTP. */
  async function customerToken(): Promise<string> {
    const email = `t${Date.now()}${Math.random()}@example.test`.replace(/0\./, '');
    await createTechnician(server, { email, password: 'password-1234', name: 'Ann' });
    const tech = await openTechnicianSocket(server, await loginCookie(server, email, 'password-1234'));
    await tech.next('welcome');
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    const answer = await requestJson(server, 'POST', '/api/code', { code: session.code, client: 'browser' });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    return String(answer.body?.token);
  }

  /** Runs the agent with `args` (and `stdin`), waits until it holds the session (so it has run past its start-up), and returns its /proc cmdline. */
  async function cmdlineWhileConnected(token: string, args: string[], stdin?: string): Promise<string> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'agent', 'main.ts'), '--server', server.url, ...args, '--terminal', '--no-prompt', '--display', xvfb.display], {
      env: { PATH: process.env.PATH ?? '', HOME: home() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdin.end(stdin ?? '');
    await until(() => server.registry.sessionOfToken(token)?.customerConn != null || child.exitCode !== null, 'the agent joining with its token', 60_000, 50);
    expect(child.exitCode, output).to.equal(null);
    const cmdline = cmdlineOf(child.pid ?? 0);
    child.kill('SIGTERM');
    return cmdline;
  }

  it('--token T on the command line: the running agent\'s /proc/PID/cmdline no longer holds T (it shows ***)', async () => {
    const token = await customerToken();
    const cmdline = await cmdlineWhileConnected(token, ['--token', token]);
    expect(cmdline.includes(token), cmdline).to.equal(false);
    expect(cmdline).to.include('--token ***');
  });

  it('--token=T: the same', async () => {
    const token = await customerToken();
    const cmdline = await cmdlineWhileConnected(token, [`--token=${token}`]);
    expect(cmdline.includes(token), cmdline).to.equal(false);
    expect(cmdline).to.include('--token=***');
  });

  it('--token-file - reads the token from stdin: it is never on the command line', async () => {
    const token = await customerToken();
    const cmdline = await cmdlineWhileConnected(token, ['--token-file', '-'], `${token}\n`);
    expect(cmdline.includes(token), cmdline).to.equal(false);
    expect(cmdline.split('\0')).to.include('--token-file');
  });

  it('masks --token, --adhoc and --security-code in both forms and leaves everything else', () => {
    expect(maskSecretArguments(['node', 'main.ts', '--server', 'https://x', '--token', 'T1', '--adhoc=A1', '--security-code', '123-456-789', '--name', 'Bo'])).to.deep.equal({
      masked: ['node', 'main.ts', '--server', 'https://x', '--token', '***', '--adhoc=***', '--security-code', '***', '--name', 'Bo'],
      secrets: ['T1', 'A1', '123-456-789'],
    });
    expect(maskSecretArguments(['--code', '123456', '--token'])).to.deep.equal({ masked: ['--code', '123456', '--token'], secrets: [] });
  });
});
