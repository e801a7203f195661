import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { buildAgent } from '../../scripts/build-agent.ts';
import { until } from '../../testkit/wait.ts';
import { requireNativeCapture } from './helpers/native-capture.ts';
import { startXvfb } from '../../testkit/xvfb.ts';

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
