import type { InputMessage, Permission, PointerMessage, Screen } from '../protocol/index.ts';
import { LIMITS, PERMISSION_LABELS } from '../protocol/index.ts';
import { CustomerEngine, type CustomerHooks } from '../rtc/customer-engine.ts';
import type { FileTransferOptions } from '../rtc/file-types.ts';
import type { SupportEngineOptions } from '../rtc/support-engine.ts';
import type { PeerSession } from '../rtc/peer-session.ts';
import { KeyframeRequests } from './capture/keyframe-requests.ts';
import { ScreenVideoTrack } from './capture/video-track.ts';
import { frameRateFor, type FrameRate } from './capture/frame-rate.ts';
import { SendRateGovernor, sendSampleFrom } from './capture/send-rate.ts';
import { CodecSwitch, type LiveVideoCodec } from './capture/codec-switch.ts';
import type { CodecCapability } from './capture/video-codec.ts';
import type { Clipboard } from './platform/clipboard.ts';
import type { InputInjector } from './platform/input-injector.ts';
import type { ScreenCapturer } from './platform/screen-capturer.ts';

/** Asks the customer for one permission (terminal prompt, or a fixed answer for unattended use). */

/** When the picture is sent again after a colleague joined (ms): the lead's relay to them connects within a few seconds. */
const COLLEAGUE_REFRESH_MS = [500, 1500, 3000, 6000];
/** Readings after a codec change whose queue is the new encoder's key frame (agent/capture/send-rate.ts restart). */
const KEY_FRAME_READINGS = 3;
export type AskPermission = (permission: Permission, label: string) => Promise<boolean>;

export type AgentSessionOptions = Omit<SupportEngineOptions, 'client' | 'files'> & {
  capturer: ScreenCapturer;
  injector: InputInjector;
  clipboard: Clipboard | null;
  files: FileTransferOptions;
  ask: AskPermission;
  /** Asks the customer whether the colleague the lead invited may join; without it the invitation is declined. */
  askColleague?: CustomerHooks['askColleague'];
  /** Granted as soon as the session starts, without asking (`--auto-grant`). */
  preGranted: readonly Permission[];
  fps: FrameRate;
  /**
   * `--codec auto`: the codec order that sends each codec first (capture/video-codec.ts), null for one the stack
   * lacks. With it the agent starts with VP8 and moves to AV1 while the link is too slow (capture/codec-switch.ts).
   */
  videoCodecOrder?: ((codec: LiveVideoCodec) => readonly CodecCapability[] | null) | undefined;
};

/** Counters for tests, the bench and the closing summary. */
export interface AgentCounters {
  injected: number;
  droppedInput: number;
  framesPushed: number;
}

/**
 * The agent's end of a support session: an adapter that plugs this machine's
 * screen, input, clipboard and download folder into the customer engine
 * (rtc/customer-engine.ts), which is the authority on permissions. Frames
 * reach the track only while `view` is granted (re-checked per frame), the
 * injector gets input only while `control` is. Grants live as long as the
 * engine (the whole session), so a new peer connection after a signaling
 * reconnect or an ICE restart keeps them. It also answers `screen.select`.
 */
export class AgentSession {
  readonly engine: CustomerEngine;
  readonly counters: AgentCounters = { injected: 0, droppedInput: 0, framesPushed: 0 };
  private screens: Screen[] = [];
  private selected: Screen | null = null;
  private video: ScreenVideoTrack | null = null;
  /** Key frame requests on a still screen, for the connection the track goes out on now. */
  private keyframes: KeyframeRequests | null = null;
  private capturing = false;
  private colleagueTimers: NodeJS.Timeout[] = [];
  /** Reads the sender's counters once a second and lowers (or restores) the frame rate offered (send-rate.ts). */
  private rateTimer: ReturnType<typeof setInterval> | null = null;
  private governor: SendRateGovernor | null = null;
  /** `--codec auto`: which codec the link carries (null otherwise, or when the stack has no AV1). */
  private codecSwitch: CodecSwitch | null = null;
  private readonly agent: AgentSessionOptions;

  constructor(options: AgentSessionOptions) {
    this.agent = options;
    const engine = new CustomerEngine({
      ...options,
      client: 'agent',
      capabilities: { input: true, screens: true, clipboard: options.clipboard !== null, files: true },
      ask: (permission) => options.ask(permission, PERMISSION_LABELS[permission]),
      video: {
        start: () => this.startVideo(),
        stop: () => void this.stopCapture(),
        sending: (peer) => {
          this.sendingTo(peer);
          this.governRate(peer);
        },
      },
      input: { inject: (msg) => this.inject(msg), releaseAll: () => options.injector.releaseAll() },
      clipboard: options.clipboard,
    });
    this.engine = engine;
    engine.on('ready', () => this.sendScreens());
    engine.on('control', (msg) => {
      if (msg.type === 'screen.select') void this.selectScreen(msg.screenId);
    });
    engine.on('dropped', (d) => {
      if (d.permission === 'control') this.counters.droppedInput++;
    });
    engine.on('colleague', (c) => {
      if (c?.state === 'joined') this.refreshForColleague();
    });
    engine.on('closed', () => {
      this.clearColleagueRefresh();
      this.stopGoverning();
      void this.stopCapture();
      this.video?.stop();
    });
  }

  /** Lists screens and grants what was granted in advance. Call once before the technician connects. */
  async init(): Promise<void> {
    this.screens = await this.agent.capturer.listScreens();
    this.selected = this.screens.find((s) => s.primary) ?? this.screens[0] ?? null;
    if (this.selected) this.agent.injector.setScreen(this.selected);
    for (const p of this.agent.preGranted) this.engine.grant(p);
  }

  listScreens(): Screen[] {
    return [...this.screens];
  }

  private inject(msg: PointerMessage | InputMessage): void {
    const inj = this.agent.injector;
    this.counters.injected++;
    switch (msg.type) {
      case 'pointer.move':
        return inj.move(msg.x, msg.y);
      case 'pointer.button':
        return inj.button(msg.button, msg.down, msg.x, msg.y);
      case 'wheel':
        return inj.wheel(msg.dx, msg.dy, msg.x, msg.y);
      case 'key':
        inj.key(msg.code, msg.down);
        return;
      case 'text':
        void inj.text(msg.text);
        return;
      case 'input.release_all':
        return inj.releaseAll();
    }
  }

  /** The engine wants the screen: capture the selected monitor into the (one, session-long) track. */
  private async startVideo(): Promise<MediaStreamTrack | null> {
    if (!this.selected || this.engine.closed) return null;
    this.video ??= new ScreenVideoTrack(frameRateFor(this.agent.fps, this.selected.width, this.selected.height, this.agent.capturer.autoMaxFps), () => this.counters.framesPushed++);
    await this.startCapture();
    return this.video.track;
  }

  private async startCapture(): Promise<void> {
    const video = this.video;
    const screen = this.selected;
    if (this.capturing || !video || !screen) return;
    this.capturing = true;
    const fps = frameRateFor(this.agent.fps, screen.width, screen.height, this.agent.capturer.autoMaxFps);
    video.setFps(fps);
    // Another screen: the rate is learnt again from its own maximum.
    if (this.governor) this.governor = new SendRateGovernor(fps);
    try {
      await this.agent.capturer.start(screen, { fps }, (frame) => {
        // Re-checked per frame: a revocation or the end stops frames even before capture stops.
        if (!this.capturing || this.engine.closed || !this.engine.permissions.isGranted('view')) return;
        video.push(frame);
      });
      this.engine.log.add('system', 'screen', `Sharing ${screen.name} (${screen.width}x${screen.height}, up to ${fps} frames/s)`);
    } catch (err) {
      this.capturing = false;
      this.engine.log.add('system', 'error', `Screen capture failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * The track goes out on a new peer connection: it gets the picture at once and whenever it asks for a key
   * frame, even while the screen is still (the capturer sends nothing then: agent/capture/keyframe-requests.ts).
   */
  private sendingTo(peer: PeerSession): void {
    this.keyframes?.stop();
    this.keyframes = null;
    const capturer = this.agent.capturer;
    const video = this.video;
    if (!capturer.refresh || !video) return;
    capturer.refresh();
    this.keyframes = new KeyframeRequests({
      stats: () => peer.getStats(),
      msSinceFrame: () => (this.capturing && !peer.closed ? video.msSincePush() : 0),
      refresh: () => {
        if (this.capturing && !peer.closed) capturer.refresh?.();
      },
    });
    this.keyframes.start();
  }

  /**
   * While the track is sent: once a second, the frame rate the sender can carry (agent/capture/send-rate.ts) and,
   * with `--codec auto`, the codec (agent/capture/codec-switch.ts). A new connection starts again from VP8.
   */
  private governRate(peer: PeerSession): void {
    this.stopGoverning();
    const screen = this.selected;
    if (!screen || !this.video) return;
    const max = frameRateFor(this.agent.fps, screen.width, screen.height, this.agent.capturer.autoMaxFps);
    this.governor = new SendRateGovernor(max);
    this.video.setFps(max);
    this.codecSwitch = this.agent.videoCodecOrder?.('av1') ? new CodecSwitch() : null;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      peer.getStats().then(
        (report) => {
          busy = false;
          const video = this.video;
          const governor = this.governor;
          if (this.rateTimer !== timer || !governor || !video) return;
          const now = performance.now();
          const sample = sendSampleFrom(report, now, video.stats().pushed);
          if (!sample) return;
          const before = governor.fps;
          const fps = governor.update(sample);
          if (fps !== before) video.setFps(fps);
          const change = this.codecSwitch?.update({ at: now, availableBps: sample.availableBps });
          if (change && this.changeCodec(peer, change, sample.availableBps ?? 0, now)) {
            // The same rate, with the tries the old codec backed off from forgotten: AV1's frames of a moving window
            // are about half VP8's (1.2–1.6 KB against 2.3–2.9), so the sender's queue, full of VP8 frames, drains
            // while the new codec's key frame goes out, and the governor tries higher from there. (Starting AV1 at
            // 1.5x the rate instead, traced: the queue grew to 160 ms a packet, the estimate fell from 0.48 to
            // 0.10 Mbit/s and the rate to 8.) The key frame itself (~40 KB of a 1280x720 desktop) and the VP8
            // frames before it kept packets 1.1–1.4 s in the queue for two readings and 0.44 s in the third (traced
            // at 0.4 Mbit/s), and the encoder dropped frames behind it: the rate is held through those three.
            governor.restart(fps, { keyFrameReadings: KEY_FRAME_READINGS });
          }
        },
        // The connection closed: a new one calls sending() again.
        () => {
          if (this.rateTimer === timer) this.stopGoverning();
        },
      );
    }, 1000);
    this.rateTimer = timer;
  }

  /** Sends `codec` first from now on (renegotiates), and says so in the session log; false when the stack refused. */
  private changeCodec(peer: PeerSession, codec: LiveVideoCodec, estimateBps: number, at: number): boolean {
    const order = this.agent.videoCodecOrder?.(codec) ?? null;
    if (!order || !peer.preferVideoCodecs(order)) {
      this.codecSwitch?.refused(codec, at);
      return false;
    }
    const mbps = (estimateBps / 1e6).toFixed(1);
    const text =
      codec === 'av1'
        ? `Slow connection (about ${mbps} Mbit/s): the screen is now sent as AV1, which needs about half as much.`
        : `The connection is fast again (${mbps} Mbit/s): the screen is now sent as VP8.`;
    this.engine.log.add('system', 'screen', text);
    return true;
  }

  private stopGoverning(): void {
    if (this.rateTimer) clearInterval(this.rateTimer);
    this.rateTimer = null;
    this.governor = null;
    this.codecSwitch = null;
  }

  /**
   * A colleague the customer let in sees the screen through the lead's console, which re-encodes what it receives
   * (rtc/colleague-relay.ts): on a still screen nothing arrives, so the picture is sent again a few times while the
   * lead's console connects to the colleague (each time one frame, no screen read).
   */
  private refreshForColleague(): void {
    this.clearColleagueRefresh();
    const capturer = this.agent.capturer;
    if (!capturer.refresh) return;
    this.colleagueTimers = COLLEAGUE_REFRESH_MS.map((ms) =>
      setTimeout(() => {
        if (this.capturing) capturer.refresh?.();
      }, ms),
    );
  }

  private clearColleagueRefresh(): void {
    for (const t of this.colleagueTimers.splice(0)) clearTimeout(t);
  }

  private async stopCapture(): Promise<void> {
    this.clearColleagueRefresh();
    this.keyframes?.stop();
    this.keyframes = null;
    this.stopGoverning();
    if (!this.capturing) return;
    this.capturing = false;
    await this.agent.capturer.stop();
    this.engine.log.add('system', 'screen', 'Screen sharing stopped');
  }

  private async selectScreen(screenId: string): Promise<void> {
    const screen = this.screens.find((s) => s.id === screenId);
    if (!screen || !this.engine.permissions.isGranted('view')) return;
    this.selected = screen;
    this.agent.injector.setScreen(screen);
    this.sendScreens();
    if (this.capturing) {
      this.capturing = false;
      await this.agent.capturer.stop();
      await this.startCapture();
    }
  }

  private sendScreens(): void {
    this.engine.sendScreens({ type: 'screens', screens: this.screens.slice(0, LIMITS.screens), selected: this.selected?.id ?? null });
  }
}
