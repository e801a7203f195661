import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { startTestServer } from '../../testkit/server.ts';

describe('signaling: HTTP surface', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-web-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('GET /healthz answers {ok:true} with security headers', async () => {
    const server = await startTestServer({}, { plugins: [], webRoot: path.join(dir, 'missing') });
    try {
      const res = await fetch(`${server.url}/healthz`);
      expect(await res.json()).to.deep.equal({ ok: true });
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).to.include("script-src 'self'").and.include("frame-ancestors 'none'").and.include(server.wsUrl);
      expect(csp).not.to.match(/script-src[^;]*unsafe-inline/);
      // WebAssembly compilation only (the ad hoc console's argon2id), never JS eval.
      expect(csp).to.match(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
      expect(csp).not.to.match(/script-src[^;]*'unsafe-eval'/);
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
    } finally {
      await server.close();
    }
  });

  it('says to run npm run build when the web UI is missing', async () => {
    const server = await startTestServer({}, { plugins: [], webRoot: path.join(dir, 'missing') });
    try {
      const res = await fetch(`${server.url}/`);
      expect(res.status).to.equal(503);
      expect(await res.text()).to.include('npm run build');
    } finally {
      await server.close();
    }
  });

  it('answers /download/agent.sh with a plain-text 503 (never an HTML page) while the agent is not built, and warns at start naming what is missing', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const server = await startTestServer({}, { plugins: [], webRoot: path.join(dir, 'web'), agentRoot: path.join(dir, 'agent'), logger });
    try {
      for (const file of ['agent.sh', 'agent.tar.gz']) {
        const res = await fetch(`${server.url}/download/${file}`);
        expect(res.status, file).to.equal(503);
        expect(res.headers.get('content-type')).to.match(/^text\/plain/);
        expect(await res.text()).to.equal('The support app is not built on this server yet: its administrator runs `npm run build` (or `npm start`, which builds it).\n');
      }
      const other = await fetch(`${server.url}/download/nothing-here`);
      expect(other.status).to.equal(404);
      expect(other.headers.get('content-type')).to.match(/^text\/plain/);
      expect(await other.text()).to.not.match(/Cannot GET|<html/i);
      const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string; missing: string[] }).find((l) => l.level === 40);
      expect(warning?.missing.map((f) => path.basename(f))).to.deep.equal(['index.html', 'console.html', 'agent.sh', 'agent.tar.gz']);
      expect(warning?.msg).to.match(/^Not built, so not served: .*index\.html.*agent\.tar\.gz\. Run `npm run build`/);
    } finally {
      await server.close();
    }
  });

  it('serves the support page at / and /c/:code, the console at /console, the agent under /download', async () => {
    fs.mkdirSync(path.join(dir, 'web', 'assets'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'agent'));
    fs.writeFileSync(path.join(dir, 'web', 'index.html'), '<title>support</title>');
    fs.writeFileSync(path.join(dir, 'web', 'console.html'), '<title>console</title>');
    fs.writeFileSync(path.join(dir, 'web', 'assets', 'app.js'), 'export {};');
    fs.writeFileSync(path.join(dir, 'agent', 'agent.sh'), '#!/bin/sh\n');
    const server = await startTestServer({}, { plugins: [], webRoot: path.join(dir, 'web'), agentRoot: path.join(dir, 'agent') });
    try {
      expect(await (await fetch(`${server.url}/`)).text()).to.include('support');
      expect(await (await fetch(`${server.url}/c/123456`)).text()).to.include('support');
      expect(await (await fetch(`${server.url}/console`)).text()).to.include('console');
      expect((await fetch(`${server.url}/assets/app.js`)).headers.get('content-type')).to.match(/javascript/);
      expect(await (await fetch(`${server.url}/download/agent.sh`)).text()).to.equal('#!/bin/sh\n');
      expect((await fetch(`${server.url}/download/../web/index.html`)).status).to.not.equal(200);
    } finally {
      await server.close();
    }
  });
});
