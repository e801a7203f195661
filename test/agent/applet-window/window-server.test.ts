import { expect } from 'chai';
import type { WebSocket } from 'ws';
import { SupportWindow, type WindowActions } from '../../../agent/window/support-window.ts';
import { memoryAssets } from '../../../agent/window/window-assets.ts';
import { until } from '../../../testkit/wait.ts';
import { rawGet, tryWebSocket, type WindowClient } from './helpers.ts';

const PAGE = '<!doctype html><title>Support</title><script type="module" src="window.js"></script>';

describe('agent/window: the support window server on 127.0.0.1', () => {
  let window: SupportWindow;
  let port: number;
  let secret: string;
  let host: string;
  let origin: string;
  const open: WebSocket[] = [];
  const calls: string[] = [];
  const actions: WindowActions = {
    chat: (text) => (calls.push(`chat:${text}`), true),
    sendFile: async (path) => void calls.push(`send:${path}`),
    pickFile: async () => {
      throw new Error('This desktop has no file picker');
    },
    showInFolder: async (path) => void calls.push(`show:${path}`),
    revoke: (p) => void calls.push(`revoke:${p}`),
    stopAll: () => void calls.push('stop-all'),
    removeColleague: () => void calls.push('remove-colleague'),
    end: () => void calls.push('end'),
  };

  before(async () => {
    window = new SupportWindow({ assets: memoryAssets({ 'index.html': PAGE, 'window.js': 'console.log(1)' }), actions, downloadDir: '/home/ann/Downloads/Relay Rescue' });
    const url = new URL(await window.start());
    port = Number(url.port);
    secret = url.pathname.split('/')[1]!;
    host = `127.0.0.1:${port}`;
    origin = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    for (const ws of open) ws.terminate();
    await window.close();
  });

  const connect = async (): Promise<WindowClient> => {
    const { status, ws, client } = await tryWebSocket(port, `/${secret}/ws`, { host, origin });
    expect(status).to.equal(101);
    open.push(ws!);
    return client!;
  };

  it('prints a URL on 127.0.0.1 with a random port and a secret of at least 128 bits', () => {
    expect(window.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]+\/$/);
    expect(port).to.be.greaterThan(0);
    // base64url: 6 bits a character.
    expect(secret.length * 6).to.be.at.least(128);
    const other = new SupportWindow({ assets: memoryAssets({}), actions, downloadDir: '/tmp' });
    expect(other.server.secret).to.not.equal(secret);
  });

  it('serves the page and its files under the secret, with headers that keep it local', async () => {
    const page = await rawGet(port, `/${secret}/`, { host });
    expect(page.status).to.equal(200);
    expect(page.body).to.equal(PAGE);
    expect(page.headers['content-security-policy']).to.include("frame-ancestors 'none'").and.include(`connect-src ws://127.0.0.1:${port}`);
    expect(page.headers['x-frame-options']).to.equal('DENY');
    expect(page.headers['referrer-policy']).to.equal('no-referrer');
    expect(page.headers['cache-control']).to.equal('no-store');
    expect((await rawGet(port, `/${secret}/window.js`, { host })).status).to.equal(200);
    expect((await rawGet(port, `/${secret}/missing.js`, { host })).status).to.equal(404);
    expect((await rawGet(port, `/${secret}/../${secret}/window.js`, { host })).status).to.not.equal(200);
    const bare = await rawGet(port, `/${secret}`, { host });
    expect(bare.status).to.equal(308);
    expect(bare.headers.location).to.equal(`/${secret}/`);
  });

  describe('refuses with 403 (page and files)', () => {
    const cases: [string, () => [string, Record<string, string>]][] = [
      ['no secret', () => ['/', { host }]],
      ['no secret, a file', () => ['/window.js', { host }]],
      ['a wrong secret', () => [`/${'A'.repeat(secret.length)}/`, { host }]],
      ['the secret cut short by one character', () => [`/${secret.slice(0, -1)}/`, { host }]],
      ['the secret with one character more', () => [`/${secret}x/`, { host }]],
      ['the secret in the query instead of the path', () => [`/?s=${secret}`, { host }]],
      ['a foreign Host (DNS rebinding)', () => [`/${secret}/`, { host: `rebind.example.test:${port}` }]],
      ['Host localhost instead of 127.0.0.1', () => [`/${secret}/`, { host: `localhost:${port}` }]],
      ['Host on another port', () => [`/${secret}/`, { host: `127.0.0.1:${port + 1}` }]],
      ['no Host', () => [`/${secret}/`, {}]],
      ['a foreign Origin', () => [`/${secret}/`, { host, origin: 'http://evil.example.test' }]],
      ['Origin null', () => [`/${secret}/`, { host, origin: 'null' }]],
    ];
    for (const [name, make] of cases) {
      it(name, async () => {
        const [path, headers] = make();
        const res = await rawGet(port, path, headers);
        expect(res.status).to.equal(403);
        expect(res.body).to.not.include('<script');
      });
    }
  });

  describe('refuses the WebSocket with 403 and opens no socket', () => {
    const cases: [string, () => [string, { host?: string; origin?: string }]][] = [
      ['no secret', () => ['/ws', { host, origin }]],
      ['a wrong secret', () => [`/${'B'.repeat(secret.length)}/ws`, { host, origin }]],
      ['the right secret on another path', () => [`/${secret}/socket`, { host, origin }]],
      ['a foreign Host', () => [`/${secret}/ws`, { host: `rebind.example.test:${port}`, origin }]],
      ['a foreign Origin', () => [`/${secret}/ws`, { host, origin: 'http://evil.example.test' }]],
      ['Origin localhost instead of 127.0.0.1', () => [`/${secret}/ws`, { host, origin: `http://localhost:${port}` }]],
      ['no Origin', () => [`/${secret}/ws`, { host }]],
    ];
    for (const [name, make] of cases) {
      it(name, async () => {
        const [path, headers] = make();
        const before = window.server.clientCount;
        const { status, ws } = await tryWebSocket(port, path, headers);
        expect(status).to.equal(403);
        expect(ws).to.equal(null);
        expect(window.server.clientCount).to.equal(before);
      });
    }
  });

  it('a page that connects gets the whole state, then live changes', async () => {
    window.setTechnician('Ann \u202eTech\u0007', 'ann@example.test');
    window.addChat('technician', 'Hello\u001b[31m there', 1000);
    const page = await connect();
    const snapshot = await page.next('window.snapshot');
    expect(snapshot.technician).to.deep.equal({ name: 'Ann \\u{202e}Tech\\x07', account: 'ann@example.test' });
    expect(snapshot.chat.map((l) => l.text)).to.deep.equal(['Hello\\x1b[31m there']);
    expect(snapshot.downloadDir).to.equal('/home/ann/Downloads/Relay Rescue');
    expect(snapshot.prompt).to.equal(null);
    window.addLog({ at: 2000, actor: 'system', kind: 'session', text: 'Connecting to Ann' });
    expect((await page.next('log.entry')).entry.text).to.equal('Connecting to Ann');
  });

  it('asks one permission at a time, naming it; an answer for another question is refused', async () => {
    const page = await connect();
    await page.next('window.snapshot');
    const view = window.ask('view');
    const control = window.ask('control');
    const first = (await page.next('prompt.open')).prompt;
    expect(first).to.include({ permission: 'view', label: 'View your screen' });
    page.send({ type: 'prompt.answer', id: 'a1', promptId: first.promptId, permission: 'control', allow: true });
    expect(await page.next('error')).to.include({ code: 'INVALID_MESSAGE', ref: 'a1', message: 'That question is no longer open.' });
    page.send({ type: 'prompt.answer', promptId: first.promptId, permission: 'view', allow: true });
    expect(await view).to.equal(true);
    expect(await page.next('prompt.closed')).to.include({ promptId: first.promptId, outcome: 'answered' });
    const second = (await page.next('prompt.open')).prompt;
    expect(second.permission).to.equal('control');
    // A late page sees the open question in its snapshot.
    const late = await connect();
    expect((await late.next('window.snapshot')).prompt).to.deep.equal(second);
    page.send({ type: 'prompt.answer', promptId: second.promptId, permission: 'control', allow: false });
    expect(await control).to.equal(false);
    page.send({ type: 'prompt.answer', promptId: second.promptId, permission: 'control', allow: true });
    expect((await page.next('error')).message).to.equal('That question is no longer open.');
  });

  it('carries the page controls to the agent and says so when one fails', async () => {
    const page = await connect();
    await page.next('window.snapshot');
    calls.length = 0;
    page.send({ type: 'chat.send', text: 'hi' });
    page.send({ type: 'file.send', path: '/home/ann/report.pdf' });
    page.send({ type: 'permission.revoke', permission: 'control' });
    page.send({ type: 'access.stop' });
    page.send({ type: 'file.pick', id: 'p1' });
    expect(await page.next('error')).to.include({ ref: 'p1', message: 'This desktop has no file picker' });
    expect(calls).to.deep.equal(['chat:hi', 'send:/home/ann/report.pdf', 'revoke:control', 'stop-all']);
    const id = '6f1c0a52-7e1b-4b7e-9a43-0a1f2b3c4d5e';
    page.send({ type: 'file.show', id: 's1', transferId: id });
    expect((await page.next('error')).message).to.equal('That file is not in the download folder.');
    window.updateFile({ transferId: id, direction: 'receive', name: 'log.txt', bytes: 10, total: 10, state: 'done', savedAs: 'log (1).txt', problem: null });
    page.send({ type: 'file.show', transferId: id });
    await page.next('file');
    await until(() => calls.includes('show:/home/ann/Downloads/Relay Rescue/log (1).txt'), 'show in folder');
  });

  it('asks whether the colleague the lead invited may join, by the names given; the answer goes to the agent once', async () => {
    const page = await connect();
    await page.next('window.snapshot');
    page.send({ type: 'colleague.answer', id: 'c0', accept: true });
    expect(await page.next('error')).to.include({ ref: 'c0', message: 'No colleague is waiting for your answer.' });
    const asked = window.askColleague({ name: 'Cleo \u001b[2JColleague', email: 'cleo@example.test', leadName: 'Ann Tech' });
    const shown = (await page.next('colleague')).colleague;
    expect(shown).to.deep.equal({ name: 'Cleo \\x1b[2JColleague', email: 'cleo@example.test', leadName: 'Ann Tech', state: 'asked', control: false });
    const late = await connect();
    expect((await late.next('window.snapshot')).colleague).to.deep.equal(shown);
    page.send({ type: 'colleague.answer', accept: true });
    expect(await asked).to.equal(true);
    page.send({ type: 'colleague.answer', id: 'c1', accept: false });
    expect((await page.next('error')).ref).to.equal('c1');
    // Joined, then removed from the window: the agent is told.
    window.setColleague({ name: 'Cleo', email: 'cleo@example.test', leadName: 'Ann Tech', state: 'joined', control: false });
    expect((await page.next('colleague')).colleague?.state).to.equal('joined');
    calls.length = 0;
    page.send({ type: 'colleague.remove' });
    await until(() => calls.includes('remove-colleague'), 'remove-colleague');
    window.setColleague(null);
    expect((await page.next('colleague')).colleague).to.equal(null);
    page.send({ type: 'colleague.remove', id: 'c2' });
    expect((await page.next('error')).message).to.equal('No colleague is in this session.');
    // A question answered elsewhere (the terminal) is withdrawn: it resolves no, and the page's late Yes is refused.
    const other = window.askColleague({ name: 'Dan', email: 'dan@example.test', leadName: 'Ann Tech' });
    await page.next('colleague');
    window.setColleague(null);
    expect(await other).to.equal(false);
    window.transferred('Ann Tech handed your session to Ben Next (ben@example.test).');
    expect((await page.next('transfer.notice')).text).to.equal('Ann Tech handed your session to Ben Next (ben@example.test).');
  });

  it('answers bad messages with an error and keeps the socket', async () => {
    const page = await connect();
    await page.next('window.snapshot');
    page.ws.send('not json');
    expect((await page.next('error')).code).to.equal('BAD_JSON');
    page.send({ type: 'grant.everything' });
    expect((await page.next('error')).code).to.equal('UNKNOWN_MESSAGE_TYPE');
    page.send({ type: 'chat.send', text: '   ' });
    expect((await page.next('error')).code).to.equal('INVALID_MESSAGE');
    page.send({ type: 'chat.send', text: 'x'.repeat(20_000) });
    expect((await page.next('error')).code).to.equal('MESSAGE_TOO_LARGE');
    expect(page.ws.readyState).to.equal(page.ws.OPEN);
    const closed = new Promise<number>((resolve) => page.ws.once('close', (code) => resolve(code)));
    page.ws.send('y'.repeat(100_000));
    expect(await closed).to.equal(1009);
  });

  it('at the end every page is told, open questions are withdrawn, and controls are refused', async () => {
    const page = await connect();
    await page.next('window.snapshot');
    const pending = window.ask('files');
    const prompt = (await page.next('prompt.open')).prompt;
    window.ended('technician_ended');
    expect(await pending).to.equal(false);
    expect(await page.next('prompt.closed')).to.include({ promptId: prompt.promptId, outcome: 'withdrawn' });
    expect((await page.next('session.ended')).reason).to.equal('technician_ended');
    calls.length = 0;
    page.send({ type: 'session.end' });
    expect((await page.next('error')).message).to.equal('The support session has ended.');
    expect(calls).to.deep.equal([]);
  });
});
