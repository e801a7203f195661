import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { choosePlatform, platformOptionHelp } from '../../../agent/platform/choose-platform.ts';
import { openFolderWithXdg, openUrlWithXdg } from '../../../agent/platform/linux-x11/open-url.ts';
import { UsageError } from '../../../agent/usage-error.ts';

describe('agent/platform: chosen once at start', () => {
  it('Linux gets the X11 platform, with the display from --display or $DISPLAY and the capture method', () => {
    expect(choosePlatform({}, { DISPLAY: ':7' }, 'linux')).to.include({ id: 'linux-x11', display: ':7', capture: 'auto' });
    expect(choosePlatform({ display: ':3', capture: 'ffmpeg' }, { DISPLAY: ':7' }, 'linux')).to.include({ display: ':3', capture: 'ffmpeg' });
    expect(choosePlatform({ display: ':3' }, {}, 'linux').describe()).to.equal('display :3');
  });

  it('refuses a bad display or capture method, and an operating system without a platform folder', () => {
    expect(() => choosePlatform({}, {}, 'linux')).to.throw(UsageError, /no X display/);
    expect(() => choosePlatform({ display: 'nope' }, {}, 'linux')).to.throw(UsageError, /no X display/);
    expect(() => choosePlatform({ display: ':1', capture: 'vnc' }, {}, 'linux')).to.throw(UsageError, /--capture must be auto, native, ffmpeg or x11/);
    expect(() => choosePlatform({}, {}, 'darwin')).to.throw(UsageError, /does not run on darwin yet/);
    expect(choosePlatform({}, {}, 'win32').id).to.equal('windows');
    expect(() => choosePlatform({ display: ':1' }, {}, 'win32')).to.throw(UsageError, /--display is for Linux/);
    expect(() => choosePlatform({ capture: 'ffmpeg' }, {}, 'win32')).to.throw(UsageError, /--capture must be auto or gdi/);
  });

  it('lists the platform options for the usage text', () => {
    expect(platformOptionHelp('linux').map(([flag]) => flag)).to.deep.equal(['--display :N', '--capture M']);
    expect(platformOptionHelp('win32').map(([flag]) => flag)).to.deep.equal(['--capture M']);
    expect(platformOptionHelp('darwin')).to.deep.equal([]);
  });
});

describe('agent/platform/linux-x11/open-url', () => {
  let dir: string;
  let path: string | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rr-xdg-'));
    // A stand-in xdg-open that records its arguments and DISPLAY, and fails for one URL.
    writeFileSync(join(dir, 'xdg-open'), `#!/bin/sh\necho "$DISPLAY $*" >> "${join(dir, 'calls')}"\ncase "$1" in *fail*) exit 4;; esac\n`);
    chmodSync(join(dir, 'xdg-open'), 0o755);
    path = process.env.PATH;
    process.env.PATH = `${dir}:${path ?? ''}`;
  });
  after(() => {
    process.env.PATH = path;
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens http(s) URLs with xdg-open on the display, and reports a failure', async () => {
    expect(await openUrlWithXdg('https://help.example.test/c/123456', ':9')).to.equal(true);
    expect(await openUrlWithXdg('http://127.0.0.1:1/fail', ':9')).to.equal(false);
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n')).to.deep.equal([':9 https://help.example.test/c/123456', ':9 http://127.0.0.1:1/fail']);
  });

  it('opens a folder only by its absolute path', async () => {
    expect(await openFolderWithXdg('/tmp/downloads', ':9')).to.equal(true);
    expect(await openFolderWithXdg('downloads', ':9')).to.equal(false);
    expect(await openFolderWithXdg('--help', ':9')).to.equal(false);
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').at(-1)).to.equal(':9 /tmp/downloads');
  });

  it('never hands xdg-open anything but an http(s) URL', async () => {
    const before = readFileSync(join(dir, 'calls'), 'utf8');
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', '/tmp/x', '--help', 'smb://host/share']) {
      expect(await openUrlWithXdg(url, ':9'), url).to.equal(false);
    }
    expect(readFileSync(join(dir, 'calls'), 'utf8')).to.equal(before);
  });
});
