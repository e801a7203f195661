import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { buildServer } from '../../scripts/build-server.ts';

const root = resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Production runs built JavaScript: no tsx (or any TypeScript tooling) on the start path. */
describe('scripts/build-server: the production server without tsx', function () {
  this.timeout(60_000);
  let out: string;
  let data: string;
  let child: ChildProcess | null = null;

  before(async () => {
    // Inside the repository, as dist/server is: the server finds package.json and dist/ above itself.
    mkdirSync(join(root, 'dist'), { recursive: true });
    out = mkdtempSync(join(root, 'dist', 'test-server-'));
    data = mkdtempSync(join(tmpdir(), 'rr-prod-data-'));
    await buildServer(out);
  });
  after(() => {
    child?.kill('SIGKILL');
    rmSync(out, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  });

  it('tsx is a development dependency only, and the production scripts run node on dist/server', () => {
    expect(pkg.dependencies).to.not.have.property('tsx');
    expect(pkg.devDependencies).to.have.property('tsx');
    expect(pkg.scripts['start:prod']).to.equal('node dist/server/main.js');
    expect(pkg.scripts['admin:prod']).to.equal('node dist/server/admin-cli.js');
    expect(pkg.scripts.build).to.include('scripts/build-server.ts');
  });

  it('builds plain JavaScript: main.js (with the ad hoc plugin it registers), admin-cli.js, nothing that loads a .ts file, only production packages', () => {
    const files = readdirSync(out, { recursive: true }).map(String).filter((f) => f.endsWith('.js')).sort();
    expect(files).to.include.members(['main.js', 'admin-cli.js']);
    const packages = new Set<string>();
    for (const f of files) {
      const code = readFileSync(join(out, f), 'utf8');
      expect(code, f).to.not.match(/from ["'][^"']*\.ts["']|\btsx\b/);
      for (const [, spec] of code.matchAll(/\bfrom ["']([^"'.][^"']*)["']/g)) if (!spec!.startsWith('node:')) packages.add(spec!.split('/').slice(0, spec!.startsWith('@') ? 2 : 1).join('/'));
    }
    // `npm prune --omit=dev` keeps everything the built server imports.
    expect([...packages].filter((p) => !(p in pkg.dependencies)), 'imported but not a production dependency').to.deep.equal([]);
    expect(packages).to.include('express');
  });

  it('runs under plain node: serves /healthz, the ad hoc plugin, and the version from package.json', async () => {
    const proc = spawn(process.execPath, [join(out, 'main.js')], {
      env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', DATA_DIR: data, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error('the built server printed no address')), 20_000);
      proc.once('exit', (code) => reject(new Error(`the built server exited with ${code}`)));
      createInterface({ input: proc.stdout }).on('line', (line) => {
        const m = /Relay Rescue is running at \S+ \(listening on (http:\/\/[^)]+)\)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1]!);
        }
      });
    });
    expect(await (await fetch(`${url}/healthz`)).json()).to.deep.equal({ ok: true });
    // Without the plugin this would be "No such API route" (400); with it, a login is asked for.
    expect((await fetch(`${url}/api/adhoc/sessions`)).status).to.equal(401);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/customer`);
    const welcome = await new Promise<{ serverVersion: string }>((ok, fail) => {
      ws.once('message', (d: Buffer) => ok(JSON.parse(d.toString('utf8')) as { serverVersion: string }));
      ws.once('error', fail);
    });
    ws.close();
    expect(welcome.serverVersion).to.equal(pkg.version);
  });

  it('the built admin CLI runs under plain node against the same database', () => {
    const run = spawnSync(process.execPath, [join(out, 'admin-cli.js'), 'list'], { env: { PATH: process.env.PATH, DATA_DIR: data }, encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.include('Seats:');
  });
});
