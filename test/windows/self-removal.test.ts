import { expect } from 'chai';
import { Cleanup } from '../../agent/cleanup.ts';
import { removeSelfAtExit, windowsRemovalScript } from '../../agent/sea/self-removal.ts';

describe('agent/sea/self-removal on Windows: a detached cmd deletes the exe once it has exited', () => {
  it('retries each second until the exe and the extracted folder are gone, for a bounded time, then deletes itself', () => {
    const script = windowsRemovalScript([
      { path: 'C:\\Users\\Ann Lee\\Downloads\\relay-rescue-support (1).exe', folder: false },
      { path: 'C:\\Users\\Ann Lee\\AppData\\Local\\Temp\\relay-rescue-AbC123', folder: true },
    ], 90);
    expect(script!.split('\r\n')).to.deep.equal([
      '@echo off',
      'for /l %%i in (1,1,90) do (',
      '  del /f /q "C:\\Users\\Ann Lee\\Downloads\\relay-rescue-support (1).exe" 2>nul',
      '  rmdir /s /q "C:\\Users\\Ann Lee\\AppData\\Local\\Temp\\relay-rescue-AbC123" 2>nul',
      '  if not exist "C:\\Users\\Ann Lee\\Downloads\\relay-rescue-support (1).exe" if not exist "C:\\Users\\Ann Lee\\AppData\\Local\\Temp\\relay-rescue-AbC123" goto done',
      '  ping -n 2 127.0.0.1 >nul',
      ')',
      ':done',
      'del /f /q "%~f0"',
      '',
    ]);
  });

  it('refuses a path cmd would not take literally (% expands even in quotes) or that is not a local absolute path', () => {
    for (const path of ['C:\\Users\\%USERNAME%\\x.exe', 'C:\\a"b.exe', '\\\\server\\share\\x.exe', 'x.exe', 'C:\\a\r\nb.exe']) {
      expect(windowsRemovalScript([{ path, folder: false }]), path).to.equal(null);
    }
  });

  it('starts the script from the exit step, never for a Node runtime', () => {
    const started: string[] = [];
    const cleanup = new Cleanup();
    expect(removeSelfAtExit(cleanup, 'C:\\Users\\Ann\\Downloads\\relay-rescue-support.exe', 'win32', (c) => started.push(c))).to.equal(true);
    expect(started).to.deep.equal([]);
    expect(cleanup.tracked()).to.deep.equal([]);
    cleanup.runNow();
    expect(started).to.have.length(1);
    expect(started[0]).to.include('del /f /q "C:\\Users\\Ann\\Downloads\\relay-rescue-support.exe"');
    expect(removeSelfAtExit(new Cleanup(), 'C:\\Program Files\\nodejs\\node.exe', 'win32', (c) => started.push(c))).to.equal(false);
    expect(removeSelfAtExit(new Cleanup(), 'C:\\Users\\%X%\\relay-rescue-support.exe', 'win32', (c) => started.push(c))).to.equal(false);
  });
});
