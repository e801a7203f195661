import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadAgentConfig } from '../../../agent/config.ts';
import { Cleanup } from '../../../agent/cleanup.ts';
import { readCarriedSettings } from '../../../agent/sea/carried-settings.ts';
import { removeSelfAtExit } from '../../../agent/sea/self-removal.ts';
import { missingToolMessages } from '../../../agent/platform/linux-x11/system-tools.ts';
import { encodeTrailer, trailerPayloadBytes, type AppletTrailerPayload } from '../../../protocol/applet-trailer.ts';

const TOKEN = 'A'.repeat(43);
const carried: AppletTrailerPayload = { v: 1, server: 'https://rescue.example.test', kind: 'session', token: TOKEN, issuedAt: 1, expiresAt: null };
const env = { DISPLAY: ':7', HOME: '/home/ann', USER: 'ann' };

describe('agent: settings carried by the download', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rr-carried-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the trailer from the end of a file; a plain build has none; a damaged one says so', () => {
    const program = Buffer.alloc(9000, 0x90);
    const withTrailer = join(dir, 'applet');
    writeFileSync(withTrailer, Buffer.concat([program, encodeTrailer(trailerPayloadBytes(carried), new Uint8Array(32))]));
    expect(readCarriedSettings(withTrailer)).to.deep.include({ found: true, payload: carried });
    const plain = join(dir, 'plain');
    writeFileSync(plain, program);
    expect(readCarriedSettings(plain)).to.deep.equal({ found: false, problem: null });
    const damaged = join(dir, 'damaged');
    writeFileSync(damaged, Buffer.concat([program, encodeTrailer(new TextEncoder().encode('{"v":2}'), new Uint8Array(32))]));
    expect(readCarriedSettings(damaged)).to.deep.include({ found: false });
    expect((readCarriedSettings(damaged) as { problem: string }).problem).to.match(/schema/);
    expect((readCarriedSettings(join(dir, 'missing')) as { problem: string }).problem).to.match(/^cannot read/);
  });

  it('a carried session needs no arguments; the command line still wins', () => {
    const config = loadAgentConfig([], env, carried);
    expect(config).to.include({ token: TOKEN, code: null, fromDownload: true, openWindow: true, wsUrl: 'wss://rescue.example.test/ws/customer' });
    const byCode = loadAgentConfig(['--code', '123456', '--no-open'], env, carried);
    expect(byCode).to.include({ code: '123456', token: null, openWindow: false });
    expect(loadAgentConfig(['--server', 'http://127.0.0.1:9', '--code', '123456'], env, carried).server.href).to.equal('http://127.0.0.1:9/');
  });

  it('a download without a session asks for the code in plain words', () => {
    const none: AppletTrailerPayload = { ...carried, kind: 'none', token: null };
    expect(() => loadAgentConfig([], env, none)).to.throw('this download carries no session: run it with --code 123456 (the 6-digit code from your technician)');
    expect(loadAgentConfig(['--code', '654321'], env, none)).to.include({ code: '654321', fromDownload: true });
    expect(loadAgentConfig(['--server', 'http://127.0.0.1:9', '--code', '654321'], env)).to.include({ fromDownload: false });
  });

  it('removes the downloaded file at exit, but never a Node runtime', () => {
    const file = join(dir, 'relay-rescue-support-linux-x64');
    writeFileSync(file, 'x');
    const cleanup = new Cleanup();
    expect(removeSelfAtExit(cleanup, file, 'linux')).to.equal(true);
    expect(removeSelfAtExit(new Cleanup(), join(dir, 'node'), 'linux')).to.equal(false);
    expect(removeSelfAtExit(new Cleanup(), join(dir, 'node.exe'), 'win32')).to.equal(false);
    cleanup.runNow();
    expect(existsSync(file)).to.equal(false);
  });
});

describe('agent: system packages the applet does not carry', () => {
  it('names the Debian package of each missing tool in plain words; xsel stands in for xclip', () => {
    expect(missingToolMessages(() => true)).to.deep.equal([]);
    expect(missingToolMessages((c) => c === 'xsel')).to.deep.equal([
      'ffmpeg is not installed, so the screen is shared more slowly and with more processor load. To fix it, install the "ffmpeg" package (sudo apt install ffmpeg) and start the support app again.',
    ]);
    expect(missingToolMessages((c) => c === 'ffmpeg')).to.deep.equal([
      'xclip is not installed, so the clipboard cannot be shared with your technician. To fix it, install the "xclip" package (sudo apt install xclip) and start the support app again.',
    ]);
  });
});
