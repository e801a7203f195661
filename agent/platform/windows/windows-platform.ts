import { homedir } from 'node:os';
import { UsageError } from '../../usage-error.ts';
import type { Clipboard } from '../clipboard.ts';
import type { Platform, PlatformOptions, ScreenDevices } from '../platform.ts';
import { GdiCapturer } from './capturer-gdi.ts';
import { user32Clipboard } from './clipboard-user32.ts';
import { SendInputInjector } from './injector-sendinput.ts';
import { openFolderWithShell, openUrlWithShell, windowsDownloadDir } from './shell.ts';
import { win32, type Win32 } from './win32-api.ts';

/** The options this platform reads, with their help text. */
export const WINDOWS_OPTIONS: readonly (readonly [string, string])[] = [['--capture M', 'auto | gdi (default auto: GDI BitBlt)']];

/** A clipboard whose Win32 functions load on first use (clipboard() is synchronous). */
function lazyClipboard(api: Promise<Win32>): Clipboard {
  const clip = api.then(user32Clipboard);
  return {
    read: async () => (await clip).read(),
    write: async (text) => (await clip).write(text),
  };
}

/** Windows: GDI capture, SendInput, the user32 clipboard, ShellExecute; all through koffi (agent/platform/windows/win32-api.ts). */
export class WindowsPlatform implements Platform {
  readonly id = 'windows';
  private api: Promise<Win32> | null = null;

  describe(): string {
    return 'Windows desktop';
  }

  async openScreen(): Promise<ScreenDevices> {
    const api = await this.load();
    api.becomeDpiAware();
    const capturer = new GdiCapturer(api);
    const screens = await capturer.listScreens();
    if (screens.length === 0) throw new Error('Cannot see the Windows desktop (no monitor)');
    return { capturer, injector: new SendInputInjector(api) };
  }

  clipboard(): Clipboard | null {
    return lazyClipboard(this.load());
  }

  async openUrl(url: string): Promise<boolean> {
    return openUrlWithShell(await this.load(), url);
  }

  async openFolder(path: string): Promise<boolean> {
    return openFolderWithShell(await this.load(), path);
  }

  async pickFile(): Promise<string | null> {
    throw new Error('The Windows file dialog is not in this version: type the file’s path in the applet’s console with /send PATH.');
  }

  defaultDownloadDir(env: NodeJS.ProcessEnv): string {
    return windowsDownloadDir(env, homedir());
  }

  webrtcFieldTrials(): string {
    return 'not on Windows (wrtc.node for Windows carries no symbol table to find libwebrtc’s field-trial setter by)';
  }

  setupProblems(): string[] {
    return [];
  }

  private load(): Promise<Win32> {
    this.api ??= win32();
    return this.api;
  }
}

/** Validates `--capture` (and refuses `--display`, which has no meaning on Windows). */
export function windowsPlatform(options: PlatformOptions): WindowsPlatform {
  if (options.display !== undefined) throw new UsageError('--display is for Linux/X11; Windows shares its own desktop');
  if (options.capture !== undefined && options.capture !== 'auto' && options.capture !== 'gdi') throw new UsageError('--capture must be auto or gdi on Windows');
  return new WindowsPlatform();
}
