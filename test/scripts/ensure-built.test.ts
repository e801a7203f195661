import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BUILD_PARTS, type BuildPartName } from '../../scripts/build-outputs.ts';
import { ensureBuilt } from '../../scripts/ensure-built.ts';

/** A scratch tree with the sources' layout; `build` writes the outputs as the real builds would. */
function scratch(): { root: string; built: BuildPartName[]; lines: string[]; build: (name: BuildPartName) => Promise<void>; touch: (file: string, ageMs?: number) => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-ensure-'));
  const built: BuildPartName[] = [];
  const lines: string[] = [];
  const touch = (file: string, ageMs = 0): void => {
    const full = path.join(root, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, file);
    const at = new Date(Date.now() - ageMs);
    fs.utimesSync(full, at, at);
  };
  for (const part of Object.values(BUILD_PARTS)) for (const input of part.inputs) touch(input.includes('.') ? input : `${input}/main.ts`, 60_000);
  return {
    root,
    built,
    lines,
    touch,
    build: async (name) => {
      built.push(name);
      for (const out of BUILD_PARTS[name].outputs) touch(out);
    },
  };
}

describe('scripts/ensure-built: npm start builds what is missing or stale (issue 15)', () => {
  it('builds both parts on a fresh clone with one progress line each, then nothing while up to date', async () => {
    const s = scratch();
    expect(await ensureBuilt({ root: s.root, build: s.build, log: (l) => s.lines.push(l) })).to.deep.equal([]);
    expect(s.built).to.deep.equal(['web', 'agent']);
    expect(s.lines[0]).to.equal('npm start: building the web UI (dist/web/index.html, dist/web/console.html missing)…');
    expect(s.lines[1]).to.match(/^npm start: built the web UI in \d+\.\d s$/);
    expect(s.lines[2]).to.equal('npm start: building the support app download (dist/agent/agent.sh, dist/agent/agent.tar.gz missing)…');
    s.built.length = 0;
    s.lines.length = 0;
    await ensureBuilt({ root: s.root, build: s.build, log: (l) => s.lines.push(l) });
    expect(s.built).to.deep.equal([]);
    expect(s.lines).to.deep.equal([]);
    fs.rmSync(s.root, { recursive: true, force: true });
  });

  it('rebuilds only the part whose sources changed, naming the file', async () => {
    const s = scratch();
    await ensureBuilt({ root: s.root, build: s.build, log: () => undefined });
    s.built.length = 0;
    s.touch('web/console/rr-console-app.ts', -5000);
    await ensureBuilt({ root: s.root, build: s.build, log: (l) => s.lines.push(l) });
    expect(s.built).to.deep.equal(['web']);
    expect(s.lines[0]).to.equal('npm start: building the web UI (web/console/rr-console-app.ts changed since the last build)…');
    s.built.length = 0;
    s.touch('protocol/limits.ts', -10_000);
    await ensureBuilt({ root: s.root, build: s.build, log: () => undefined });
    expect(s.built, 'a protocol change rebuilds both').to.deep.equal(['web', 'agent']);
    fs.rmSync(s.root, { recursive: true, force: true });
  });

  it('a failed build is reported and the start goes on (the server then warns what is missing)', async () => {
    const s = scratch();
    const failed = await ensureBuilt({
      root: s.root,
      build: async (name) => {
        if (name === 'web') throw new Error('vite: syntax error in web/x.ts\nmore lines');
        await s.build(name);
      },
      log: (l) => s.lines.push(l),
    });
    expect(failed).to.deep.equal(['the web UI']);
    expect(s.lines).to.include('npm start: building the web UI failed: vite: syntax error in web/x.ts');
    expect(s.lines).to.include('npm start: starting anyway; run `npx vite build` to see the whole error');
    fs.rmSync(s.root, { recursive: true, force: true });
  });
});
