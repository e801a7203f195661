import type { Clipboard } from './clipboard.ts';
import type { InputInjector } from './input-injector.ts';
import type { ScreenCapturer } from './screen-capturer.ts';

/** The desktop one support session shares: what is captured and where input goes. */
export interface ScreenDevices {
  capturer: ScreenCapturer;
  injector: InputInjector;
}

/**
 * What the agent needs from the operating system, behind one object chosen
 * once at start (`choosePlatform`). One folder per platform implements it:
 * `agent/platform/linux-x11/` and `agent/platform/windows/`. Nothing outside `agent/platform/` knows
 * which one it got.
 */
export interface Platform {
  /** The platform folder's name, e.g. 'linux-x11'. */
  readonly id: string;
  /** What the agent's start-up line says about the desktop. */
  describe(): string;
  /** Opens the capturer and the injector; rejects with a message a person can act on. */
  openScreen(): Promise<ScreenDevices>;
  /** The clipboard, or null when this desktop offers none (the agent's `hello` then says `clipboard: false`). */
  clipboard(): Clipboard | null;
  /** Opens an http(s) URL in the customer's browser; resolves false when nothing could open it. */
  openUrl(url: string): Promise<boolean>;
  /** Opens a folder (an absolute path) in the file manager; resolves false when nothing could open it. */
  openFolder(path: string): Promise<boolean>;
  /** The desktop's own file picker: a path, null when the customer cancelled; rejects when there is none. */
  pickFile(title: string): Promise<string | null>;
  /** Where received files go unless `--download-dir` says otherwise. */
  defaultDownloadDir(env: NodeJS.ProcessEnv): string;
  /**
   * Sets libwebrtc's field trials in this process (agent/capture/render-at-once-sender.ts says which and why):
   * '' when set, else why not. Call once @roamhq/wrtc is loaded and before the first peer connection.
   */
  webrtcFieldTrials(trials: string): string;
  /** One plain-words line per system program the agent needs but this machine lacks (what does not work, how to install it). */
  setupProblems(): string[];
}

/** The platform's command-line options as given; each platform validates its own. */
export interface PlatformOptions {
  display?: string | undefined;
  capture?: string | undefined;
}
