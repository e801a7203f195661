import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { buildAgent } from '../../scripts/build-agent.ts';
import { until } from '../../testkit/wait.ts';
import { requireNativeCapture } from './helpers/native-capture.ts';
import { startXvfb } from '../../testkit/xvfb.ts';
import { startTestServer, type RunningServer } from '../../testkit/server.ts';

describe('scripts/build-agent', function () {
  this.timeout(60_000);
  let out: string;
  before(() => {
    out = mkdtempSync(join(tmpdir(), 'rr-agent-dist-'));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('builds agent.tar.gz with a bundle, the native capture addon and a package.json naming the native dependencies, and a valid agent.sh', async () => {
    requireNativeCapture();
    const { tarball, script } = await buildAgent(out);
    const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(list).to.deep.equal(['relay-rescue-agent/', 'relay-rescue-agent/main.mjs', 'relay-rescue-agent/package.json', 'relay-rescue-agent/rr_x11_capture.node']);
    execFileSync('tar', ['-xzf', tarball, '-C', out]);
    const pkg = JSON.parse(execFileSync('cat', [join(out, 'relay-rescue-agent', 'package.json')], { encoding: 'utf8' })) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).sort()).to.deep.equal(['@roamhq/wrtc', 'ws', 'x11']);
    expect(spawnSync('sh', ['-n', script]).status, 'agent.sh parses').to.equal(0);
    expect(spawnSync('sh', [script]).status, 'agent.sh without --server').to.equal(2);
  });

  it('the bundle runs and answers bad arguments with a clear error', () => {
    // Use the repository's node_modules in place of `npm install`.
    symlinkSync(resolve('node_modules'), join(out, 'relay-rescue-agent', 'node_modules'));
    const run = spawnSync(process.execPath, [join(out, 'relay-rescue-agent', 'main.mjs'), '--server', 'http://127.0.0.1:1', '--code', '12'], { encoding: 'utf8' });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.contain('--code must be exactly 6 digits');
  });

  it('the bundle captures with the addon beside it (--capture native)', async () => {
    const xvfb = await startXvfb(320, 240);
    const child = spawn(process.execPath, [join(out, 'relay-rescue-agent', 'main.mjs'), '--server', 'http://127.0.0.1:1', '--code', '123456', '--display', xvfb.display, '--capture', 'native', '--no-prompt'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      await until(() => /capture x11-damage-shm/.test(text) || child.exitCode !== null, 'the agent to name its capturer', 20_000);
      expect(text).to.match(/capture x11-damage-shm/);
    } finally {
      child.kill('SIGKILL');
      await xvfb.stop();
    }
  });
});

/** Runs a command without blocking this process (the test server answers its curl). */
function runAsync(command: string, args: string[], env: NodeJS.ProcessEnv, input: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    // Typed after the prompt has had time to appear, as a person would.
    setTimeout(() => child.stdin.end(input), 1500);
  });
}

describe('scripts/build-agent.ts: `curl -fsSL …/download/agent.sh | bash` with no arguments', function () {
  this.timeout(60_000);
  let out: string;
  let server: RunningServer;
  before(async () => {
    out = mkdtempSync(join(tmpdir(), 'rr-agent-sh-'));
    await buildAgent(join(out, 'agent'));
    server = await startTestServer({}, { plugins: [], webRoot: join(out, 'web'), agentRoot: join(out, 'agent') });
  });
  after(async () => {
    await server?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('the served script names its own server; on a terminal it asks for the code and runs the agent with it', async () => {
    const script = await (await fetch(`${server.url}/download/agent.sh`)).text();
    expect(script).to.contain(`server="${server.url}"`);
    // Stand-ins: `node` prints the arguments it got, `npm` does nothing (no registry in tests).
    const bin = join(out, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'node'), '#!/bin/sh\nshift\necho "agent args: $*"\n', { mode: 0o755 });
    writeFileSync(join(bin, 'npm'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
    // As pasted in a terminal (script(1) gives it one): curl … | bash, then the code typed.
    const run = await runAsync('script', ['-qec', `curl -fsSL '${server.url}/download/agent.sh' | bash`, '/dev/null'], env, '123456\n');
    expect(run.stdout).to.contain('Type the 6-digit code your technician gave you:');
    expect(run.stdout).to.contain(`agent args: --server ${server.url} --code 123456`);
    expect(run.status).to.equal(0);
  });

  it('a --token given to agent.sh reaches the agent in RELAY_RESCUE_TOKEN, not on its command line (either form)', async () => {
    const bin = join(out, 'bin-token');
    mkdirSync(bin);
    writeFileSync(join(bin, 'node'), '#!/bin/sh\nshift\necho "agent args: $*"\necho "agent env: ${RELAY_RESCUE_TOKEN:-none}"\n', { mode: 0o755 });
    writeFileSync(join(bin, 'npm'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
    for (const given of ['--token tok-en_1', '--token=tok-en_1']) {
      const run = await runAsync('setsid', ['-w', 'bash', '-c', `curl -fsSL '${server.url}/download/agent.sh' | bash -s -- ${given} --no-open`], env, '');
      expect(run.stdout, run.stderr).to.contain(`agent args: --server ${server.url} --no-open\n`);
      expect(run.stdout).to.contain('agent env: tok-en_1');
      expect(run.status).to.equal(0);
    }
  });

  it('without a terminal it says how to give the code and exits 2', async () => {
    const run = await runAsync('setsid', ['-w', 'bash', '-c', `curl -fsSL '${server.url}/download/agent.sh' | bash`], process.env, '');
    expect(run.stderr).to.contain('agent.sh: run it in a terminal, or add your code: … | bash -s -- --code 123456');
    expect(run.status).to.equal(2);
  });
});
