import { expect } from 'chai';
import { sanitizeFileName } from '../../agent/files/sanitize-name.ts';
import { mappedCodes } from '../../agent/platform/linux-x11/key-map.ts';
import { keyInput, textInputs } from '../../agent/platform/windows/injector-sendinput.ts';
import { screensFromMonitors } from '../../agent/platform/windows/monitors.ts';
import { scanCodeForCode } from '../../agent/platform/windows/scan-codes.ts';
import { httpUrlOrNull, localFolderOrNull, windowsDownloadDir } from '../../agent/platform/windows/shell.ts';
import {
  INPUT_SIZE,
  KEYEVENTF,
  MONITORINFOEXW_SIZE,
  MOUSEEVENTF,
  absoluteMove,
  bitmapInfo,
  decodeMonitorInfo,
  encodeInputs,
  unicodeInputs,
} from '../../agent/platform/windows/win32-structs.ts';

/** The parts of agent/platform/windows/ that are plain data, checked on Linux (the Wine test runs the rest). */
describe('agent/platform/windows: structures, key map, names (no Windows needed)', () => {
  it('encodes INPUT as Windows x64 lays it out: 40 bytes, the union at offset 8', () => {
    const buf = encodeInputs([
      { kind: 'mouse', dx: 65535, dy: 1, data: -120, flags: MOUSEEVENTF.WHEEL },
      { kind: 'key', vk: 0x0d, scan: 0x1c, flags: KEYEVENTF.KEYUP },
    ]);
    expect(INPUT_SIZE).to.equal(40);
    expect(buf.length).to.equal(80);
    expect([buf.readUInt32LE(0), buf.readInt32LE(8), buf.readInt32LE(12), buf.readInt32LE(16), buf.readUInt32LE(20)]).to.deep.equal([0, 65535, 1, -120, 0x0800]);
    expect([buf.readUInt32LE(40), buf.readUInt16LE(48), buf.readUInt16LE(50), buf.readUInt32LE(52)]).to.deep.equal([1, 0x0d, 0x1c, 2]);
  });

  it('maps pixels to SendInput’s 0..65535 virtual-desktop units, corners exact and clamped', () => {
    const v = { x: -1920, y: 0, width: 3200, height: 1080 };
    expect(absoluteMove(v, -1920, 0)).to.include({ dx: 0, dy: 0 });
    expect(absoluteMove(v, 1279, 1079)).to.include({ dx: 65535, dy: 65535 });
    expect(absoluteMove(v, 99999, -5)).to.include({ dx: 65535, dy: 0 });
    expect(absoluteMove(v, 0, 0).flags).to.equal(MOUSEEVENTF.MOVE | MOUSEEVENTF.ABSOLUTE | MOUSEEVENTF.VIRTUALDESK);
    // Windows maps back with x = dx * (width - 1) / 65535: every pixel round-trips.
    for (const x of [0, 1, 639, 640, 1279]) {
      const { dx } = absoluteMove({ x: 0, y: 0, width: 1280, height: 720 }, x, 0);
      expect(Math.round((dx * 1279) / 65535)).to.equal(x);
    }
  });

  it('types text as UTF-16 units (astral characters as surrogate pairs), Enter/Tab/Backspace as keys, CRLF once', () => {
    expect(unicodeInputs('é').map((i) => [i.scan, i.flags])).to.deep.equal([[0xe9, KEYEVENTF.UNICODE], [0xe9, KEYEVENTF.UNICODE | KEYEVENTF.KEYUP]]);
    expect(unicodeInputs('😀').map((i) => i.scan)).to.deep.equal([0xd83d, 0xd83d, 0xde00, 0xde00]);
    const typed = textInputs('a\r\nb\tc');
    expect(typed.map((i) => (i.kind === 'key' ? (i.vk || String.fromCharCode(i.scan)) : '?'))).to.deep.equal(['a', 'a', 0x0d, 0x0d, 'b', 'b', 0x09, 0x09, 'c', 'c']);
  });

  it('has a scan code for every KeyboardEvent.code the Linux key map maps (own keys only, no inherited names)', () => {
    for (const code of mappedCodes()) expect(scanCodeForCode(code), code).to.not.equal(null);
    expect(scanCodeForCode('KeyA')).to.deep.equal({ scan: 0x1e, extended: false });
    expect(scanCodeForCode('ArrowLeft')).to.deep.equal({ scan: 0x4b, extended: true });
    expect(scanCodeForCode('toString')).to.equal(null);
    expect(keyInput('ControlRight', false)).to.deep.include({ vk: 0, scan: 0x1d, flags: KEYEVENTF.SCANCODE | KEYEVENTF.EXTENDEDKEY | KEYEVENTF.KEYUP });
    // With the layout's virtual key (here a French AZERTY layout gives VK_A, 0x41, for the key at KeyQ), both go out.
    expect(keyInput('KeyQ', true, (scan) => (scan === 0x10 ? 0x41 : 0))).to.deep.equal({ kind: 'key', vk: 0x41, scan: 0x10, flags: 0 });
    expect(keyInput('Unidentified', true)).to.equal(null);
  });

  it('asks CreateDIBSection for a top-down 32 bpp bitmap', () => {
    const info = bitmapInfo(1280, 720);
    expect([info.readUInt32LE(0), info.readInt32LE(4), info.readInt32LE(8), info.readUInt16LE(12), info.readUInt16LE(14)]).to.deep.equal([40, 1280, -720, 1, 32]);
  });

  it('decodes MONITORINFOEXW and names the screens, one primary', () => {
    const buf = Buffer.alloc(MONITORINFOEXW_SIZE);
    buf.writeUInt32LE(MONITORINFOEXW_SIZE, 0);
    [-1920, 0, 0, 1080].forEach((v, i) => buf.writeInt32LE(v, 4 + 4 * i));
    buf.writeUInt32LE(0, 36);
    buf.write('\\\\.\\DISPLAY2\0', 40, 'utf16le');
    const info = decodeMonitorInfo(buf);
    expect(info).to.deep.equal({ x: -1920, y: 0, width: 1920, height: 1080, primary: false, device: '\\\\.\\DISPLAY2' });
    const screens = screensFromMonitors([info, { x: 0, y: 0, width: 0, height: 0, primary: false, device: '' }]);
    expect(screens).to.deep.equal([{ id: 'm0', name: 'Screen 2', x: -1920, y: 0, width: 1920, height: 1080, primary: true }]);
  });

  it('opens only http(s) URLs and local folders (never a file, a custom scheme or a UNC path)', () => {
    expect(httpUrlOrNull('http://127.0.0.1:5/w/?a=1&b=2')).to.equal('http://127.0.0.1:5/w/?a=1&b=2');
    for (const bad of ['file:///C:/Windows/System32/calc.exe', 'C:\\Windows\\notepad.exe', 'ms-settings:', 'javascript:alert(1)']) expect(httpUrlOrNull(bad), bad).to.equal(null);
    expect(localFolderOrNull('C:\\Users\\Ann\\Downloads\\Relay Rescue')).to.equal('C:\\Users\\Ann\\Downloads\\Relay Rescue');
    for (const bad of ['\\\\evil\\share', '//evil/share', 'Downloads', '/home/ann']) expect(localFolderOrNull(bad), bad).to.equal(null);
  });

  it('puts received files in %USERPROFILE%\\Downloads\\Relay Rescue', () => {
    expect(windowsDownloadDir({ USERPROFILE: 'C:\\Users\\Ann', HOME: '/home/ann' }, 'C:\\x')).to.equal('C:\\Users\\Ann\\Downloads\\Relay Rescue');
    expect(windowsDownloadDir({}, 'C:\\Users\\Bob')).to.equal('C:\\Users\\Bob\\Downloads\\Relay Rescue');
    expect(windowsDownloadDir({ USERPROFILE: '\\\\evil\\share' }, 'C:\\Users\\Bob')).to.equal('C:\\Users\\Bob\\Downloads\\Relay Rescue');
  });

  it('makes received file names Windows-safe: reserved device names, trailing dots and spaces, colons', () => {
    expect(sanitizeFileName('CON')).to.equal('_CON');
    expect(sanitizeFileName('con.txt')).to.equal('_con.txt');
    expect(sanitizeFileName('LPT1.tar.gz')).to.equal('_LPT1.tar.gz');
    expect(sanitizeFileName('COM¹.log')).to.equal('_COM¹.log');
    expect(sanitizeFileName('console.txt')).to.equal('console.txt');
    expect(sanitizeFileName('report.pdf. . ')).to.equal('report.pdf');
    expect(sanitizeFileName('a:b.txt')).to.equal('a_b.txt');
    expect(sanitizeFileName('file.txt:stream')).to.equal('file.txt_stream');
    expect(sanitizeFileName('C:\\Windows\\win.ini')).to.equal('win.ini');
    expect(sanitizeFileName('<>|?*".txt')).to.equal('______.txt');
  });
});
