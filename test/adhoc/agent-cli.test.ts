import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, technician, waitFor, type Harness } from './helpers.ts';

describe('ad hoc agent CLI: pairing from the deployment link, then the technician ends it', function () {
  this.timeout(60_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({});
  });
  after(async () => h.close());

  it('shows the link without SMTP (outbox), pairs a real agent process (secrets in its environment, not its command line), and on End it deletes its files and exits 0', async () => {
    const tech = await technician(h, 'dan@example.test', 'Dan');
    const created = await tech.api.create('user@example.test');
    expect(created.delivery).to.equal('outbox');
    expect(readdirSync(join(h.dir, 'outbox'))).to.have.length(1);
    const token = created.deploymentUrl.split('/adhoc/')[1]!;
    const stateDir = join(h.dir, 'cli-state', 'adhoc');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'agent/adhoc/main.ts', '--server', h.server.url, '--state-dir', stateDir, '--name', 'cli-pc'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RELAY_RESCUE_ADHOC_TOKEN: token, RELAY_RESCUE_SECURITY_CODE: created.securityCode } },
    );
    // What `ps` shows every user: neither secret.
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
    expect(cmdline).to.include('agent/adhoc/main.ts');
    expect(cmdline).to.not.include(token);
    expect(cmdline).to.not.include(created.securityCode);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => tech.updates.some((u) => u.state === 'code_entered'), 'code_entered', 30_000);
      const conn = await tech.client.connect(created.session.adhocId, 'Lamp-Orbit-97-Quill!', { pairing: true });
      await waitFor(() => tech.updates.some((u) => u.state === 'paired' && u.online), 'paired');
      expect(existsSync(join(stateDir, 'password.argon2id'))).to.equal(true);
      conn.close();
      await tech.client.end(created.session.adhocId);
      expect(await exited, output).to.equal(0);
      expect(existsSync(stateDir), 'state dir removed').to.equal(false);
      expect(output).to.include('no longer paired');
      const events = (await h.server.audit.events(created.session.adhocId)).map((e) => e.event);
      expect(events).to.include.members(['adhoc.created', 'adhoc.paired', 'adhoc.connected', 'adhoc.ended']);
    } finally {
      child.kill();
      tech.client.close();
    }
  });
});
