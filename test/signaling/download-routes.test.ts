import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { TRAILER_MAX_BYTES, decodeTrailer } from '../../protocol/applet-trailer.ts';
import { createAdhocPlugin, type AdhocPlugin } from '../../signaling/adhoc/index.ts';
import { activeSession, startTestServer, type RunningServer } from '../../testkit/server.ts';

/** The applet's download: the built file with the signed trailer (protocol/applet-trailer.ts). */
describe('signaling: GET /download/linux carries the server and the token', () => {
  let server: RunningServer;
  let agentRoot: string;
  let deploymentToken = '';
  let plugin: AdhocPlugin;
  // Stands in for the 100 MB executable: the route streams whatever file is there.
  const program = Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(70_000, 0x90)]);

  before(async () => {
    agentRoot = mkdtempSync(join(tmpdir(), 'rr-download-'));
    writeFileSync(join(agentRoot, 'relay-rescue-support-linux-x64'), program);
    plugin = createAdhocPlugin({
      sendEmail: async (_config, mail) => {
        deploymentToken = mail.deploymentToken;
        return 'outbox';
      },
    });
    server = await startTestServer({}, { agentRoot, plugins: [plugin] });
  });
  after(async () => {
    await server.close();
    rmSync(agentRoot, { recursive: true, force: true });
  });

  const download = async (query = ''): Promise<{ res: Response; body: Buffer }> => {
    const res = await fetch(`${server.url}/download/linux${query}`);
    return { res, body: Buffer.from(await res.arrayBuffer()) };
  };
  const carried = (body: Buffer) => {
    expect(body.subarray(0, program.length).equals(program), 'the program bytes are unchanged').to.equal(true);
    const decoded = decodeTrailer(new Uint8Array(body.subarray(-TRAILER_MAX_BYTES)));
    if (!decoded.found) throw new Error(`no trailer: ${decoded.problem}`);
    expect(body.length).to.equal(program.length + decoded.trailerBytes);
    return decoded.payload;
  };

  it('without a token: the server only, signed by this server, never cached', async () => {
    const before = Date.now();
    const { res, body } = await download();
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/octet-stream');
    expect(res.headers.get('content-disposition')).to.equal('attachment; filename="relay-rescue-support-linux-x64"');
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(Number(res.headers.get('content-length'))).to.equal(body.length);
    const payload = carried(body);
    expect(payload).to.include({ v: 1, server: server.publicUrl, kind: 'none', token: null, expiresAt: null });
    expect(payload.issuedAt).to.be.within(before, Date.now());
    expect(server.downloads.verify(new Uint8Array(body.subarray(-TRAILER_MAX_BYTES)))).to.deep.equal(payload);
  });

  it('a trailer changed by anyone but the server fails its MAC', async () => {
    const { body } = await download();
    // Same length, so the trailer still parses: only the MAC can tell.
    const elsewhere = server.publicUrl.replace('127.0.0.1', '127.0.0.9');
    const forged = Buffer.from(body.toString('latin1').replace(server.publicUrl, elsewhere), 'latin1');
    const decoded = decodeTrailer(new Uint8Array(forged.subarray(-TRAILER_MAX_BYTES)));
    expect(decoded.found && decoded.payload.server).to.equal(elsewhere);
    expect(server.downloads.verify(new Uint8Array(forged.subarray(-TRAILER_MAX_BYTES)))).to.equal(null);
  });

  it('?token= of a live PIN session carries it; once the session ends the link is refused', async () => {
    const { token, technician, sessionId } = await activeSession(server);
    const { res, body } = await download(`?token=${token}`);
    expect(res.status).to.equal(200);
    expect(carried(body)).to.include({ kind: 'session', token, server: server.publicUrl, expiresAt: null });
    technician.send({ type: 'session.end', id: 'end', sessionId });
    await technician.next('session.state');
    const after = await download(`?token=${token}`);
    expect(after.res.status).to.equal(401);
    expect(JSON.parse(after.body.toString()).error.code).to.equal('TOKEN_INVALID');
    technician.close();
  });

  it('refuses a token that is not one, an unknown one, and two kinds at once', async () => {
    for (const [query, status, code] of [
      ['?token=short', 401, 'TOKEN_INVALID'],
      [`?token=${'A'.repeat(43)}`, 401, 'TOKEN_INVALID'],
      [`?adhoc=${'A'.repeat(43)}`, 404, 'ADHOC_NOT_FOUND'],
      [`?token=${'A'.repeat(43)}&adhoc=${'B'.repeat(43)}`, 400, 'INVALID_MESSAGE'],
    ] as const) {
      const { res, body } = await download(query);
      expect(res.status, query).to.equal(status);
      expect(JSON.parse(body.toString()).error.code, query).to.equal(code);
    }
  });

  it('?adhoc= of a usable deployment link carries it with the ad hoc session expiry', async () => {
    const account = await server.accounts.create({ email: 'adhoc-dl@example.test', name: 'Ann', password: 'correct-horse-battery', isAdmin: false });
    const service = plugin.service!;
    const created = await service.create({ id: account.id, name: account.name, email: account.email }, 'customer@example.test');
    const { res, body } = await download(`?adhoc=${deploymentToken}`);
    expect(res.status).to.equal(200);
    expect(carried(body)).to.include({ kind: 'adhoc', token: deploymentToken, expiresAt: created.session.expiresAt });
    await service.end(account.id, created.session.adhocId);
    expect((await download(`?adhoc=${deploymentToken}`)).res.status).to.equal(404);
  });

  it('HEAD tells the size without the body; a server without the build says how to build it', async () => {
    const head = await fetch(`${server.url}/download/linux`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(Number(head.headers.get('content-length'))).to.be.greaterThan(program.length);
    const windows = await fetch(`${server.url}/download/windows`);
    expect(windows.status).to.equal(503);
    expect(await windows.text()).to.include('npm run build');
  });
});
