/* eslint-disable no-control-regex -- these tests are about control characters */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { escapeControls, formatLogLine } from '../../signaling/log-format.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Runs `npm start`'s server (signaling/main.ts) until it printed `until`,
 * on a pseudo-terminal (`script`) or on a pipe; returns everything it printed.
 */
async function runServer(opts: { tty: boolean; env?: Record<string, string>; until: RegExp; exits?: boolean }): Promise<{ out: string; code: number | null }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-log-'));
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, ...opts.env };
  delete env['NO_COLOR'];
  if (opts.env?.['NO_COLOR']) env['NO_COLOR'] = opts.env['NO_COLOR'];
  const command = `${process.execPath} --import tsx signaling/main.ts`;
  const child = opts.tty
    ? spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, ['--import', 'tsx', 'signaling/main.ts'], { cwd: ROOT, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server printed nothing like ${opts.until}:\n${out}`)), 20_000);
      const onData = (chunk: Buffer): void => {
        out += chunk.toString('utf8');
        if (opts.until.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (opts.exits) await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  } finally {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { out, code: await exited };
}

describe('signaling: log output (issue 15)', function () {
  this.timeout(60_000);

  it('formats a pino line as time, level, message and fields', () => {
    const line = JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), pid: 9, hostname: 'h', svc: 'signaling', msg: 'not built', missing: ['dist/web/index.html'], port: 8080 });
    const text = formatLogLine(line, false);
    expect(text).to.match(/^\d\d:\d\d:\d\d\.006 WARN {2}not built missing=\["dist\/web\/index\.html"\] port=8080$/);
    expect(formatLogLine(line, true)).to.include('\x1b[33mWARN ');
  });

  it('never lets a client-supplied string act on the terminal', () => {
    const line = JSON.stringify({ level: 30, time: 0, msg: 'name \x1b[2J\x07 \u202egnp.exe', reason: 'a\rb\u2028' });
    const text = formatLogLine(line, false);
    expect(text).to.not.match(/[\x00-\x1f\x7f\u2028\u202e]/);
    expect(text).to.include('name \\u001b[2J\\u0007 \\u202egnp.exe').and.include('reason="a\\rb\\u2028"');
    expect(escapeControls('ok')).to.equal('ok');
    expect(formatLogLine('not json \x1b[31m', false)).to.equal('not json \\u001b[31m');
  });

  it('npm start on a terminal prints readable lines, with the first-run setup link', async () => {
    const { out } = await runServer({ tty: true, until: /console#setup=[A-Za-z0-9_-]{43}/ });
    const lines = out.replace(ANSI, '').split(/\r?\n/).filter(Boolean);
    expect(out, 'coloured levels').to.match(/\x1b\[3\dm(INFO|WARN)/);
    expect(lines.some((l) => l.startsWith('{')), `no JSON on a terminal:\n${out}`).to.equal(false);
    expect(lines.find((l) => l.includes('Relay Rescue is running'))).to.match(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}Relay Rescue is running at http:\/\/127\.0\.0\.1:\d+ \(listening on http:\/\/127\.0\.0\.1:\d+\)$/);
    expect(lines.find((l) => l.includes('setup='))).to.match(
      /WARN {2}No accounts yet\. Create the first administrator in the browser \(this link works once, for 30 minutes\): http:\/\/127\.0\.0\.1:\d+\/console#setup=[A-Za-z0-9_-]{43}$/,
    );
  });

  it('NO_COLOR keeps the readable lines without colours; LOG_FORMAT=json or a pipe gives JSON', async () => {
    const plain = await runServer({ tty: true, env: { NO_COLOR: '1' }, until: /Relay Rescue is running/ });
    expect(plain.out).to.not.match(ANSI);
    expect(plain.out).to.match(/ INFO {2}Relay Rescue is running/);
    for (const run of [
      await runServer({ tty: true, env: { LOG_FORMAT: 'json' }, until: /Relay Rescue is running/ }),
      await runServer({ tty: false, until: /Relay Rescue is running/ }),
    ]) {
      const lines = run.out.split(/\r?\n/).filter(Boolean);
      const running = lines.find((l) => l.includes('Relay Rescue is running'));
      expect(JSON.parse(running ?? '{}')).to.include({ level: 30, svc: 'signaling' });
    }
  });

  it('refuses an unknown LOG_FORMAT, naming the variable', async () => {
    const run = await runServer({ tty: false, env: { LOG_FORMAT: 'loud' }, until: /Configuration error/, exits: true });
    expect(run.out.trim()).to.equal('Configuration error: LOG_FORMAT: must be one of auto, pretty, json, got "loud"');
    expect(run.code).to.equal(2);
  });
});
