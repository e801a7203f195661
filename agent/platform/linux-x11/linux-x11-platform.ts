import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../usage-error.ts';
import type { Clipboard } from '../clipboard.ts';
import type { Platform, PlatformOptions, ScreenDevices } from '../platform.ts';
import { xclipClipboard } from './clipboard-xclip.ts';
import { CAPTURE_METHODS, createScreenCapturer, type CaptureMethod } from './create-capturer.ts';
import { XTestInjector } from './injector-xtest.ts';
import { openFolderWithXdg, openUrlWithXdg } from './open-url.ts';
import { pickFile } from './pick-file.ts';
import { loadNativeCapture } from './native-capture.ts';
import { missingToolMessages } from './system-tools.ts';

/** The options this platform reads, with their help text. */
export const LINUX_X11_OPTIONS: readonly (readonly [string, string])[] = [
  ['--display :N', 'the X display to share (default $DISPLAY)'],
  ['--capture M', 'auto | native | ffmpeg | x11 (default auto: the native damage-driven addon when built, else ffmpeg, else x11)'],
];

/** Linux with an X server: damage-driven native capture (else ffmpeg x11grab, else the pure-JS X client), XTEST input, xclip/xsel clipboard, xdg-open, zenity/kdialog. */
export class LinuxX11Platform implements Platform {
  readonly id = 'linux-x11';

  constructor(
    readonly display: string,
    readonly capture: CaptureMethod,
  ) {}

  describe(): string {
    return `display ${this.display}`;
  }

  async openScreen(): Promise<ScreenDevices> {
    const capturer = createScreenCapturer(this.display, this.capture);
    await capturer.listScreens().catch((err: unknown) => {
      throw new Error(`Cannot use X display ${this.display}: ${err instanceof Error ? err.message : String(err)}`);
    });
    const injector = await XTestInjector.open(this.display);
    return { capturer, injector };
  }

  clipboard(): Clipboard | null {
    return xclipClipboard(this.display);
  }

  openUrl(url: string): Promise<boolean> {
    return openUrlWithXdg(url, this.display);
  }

  openFolder(path: string): Promise<boolean> {
    return openFolderWithXdg(path, this.display);
  }

  pickFile(title: string): Promise<string | null> {
    return pickFile(title, this.display);
  }

  defaultDownloadDir(env: NodeJS.ProcessEnv): string {
    return join(env.HOME ?? homedir(), 'Downloads', 'Relay Rescue');
  }

  webrtcFieldTrials(trials: string): string {
    const native = loadNativeCapture();
    return native.module ? native.module.setWebrtcFieldTrials(trials) : `the native addon is not available: ${native.reason}`;
  }

  setupProblems(): string[] {
    return missingToolMessages();
  }
}

/** Validates `--display` (or $DISPLAY) and `--capture`; throws UsageError naming the bad one. */
export function linuxX11Platform(options: PlatformOptions, env: NodeJS.ProcessEnv): LinuxX11Platform {
  const capture = (options.capture ?? 'auto') as CaptureMethod;
  if (!CAPTURE_METHODS.includes(capture)) throw new UsageError('--capture must be auto, native, ffmpeg or x11');
  const display = options.display ?? env.DISPLAY;
  if (!display || !/^[A-Za-z0-9._/-]*:\d+(\.\d+)?$/.test(display)) {
    throw new UsageError('no X display: pass --display :0 or set DISPLAY (Linux/X11 only for now)');
  }
  return new LinuxX11Platform(display, capture);
}
