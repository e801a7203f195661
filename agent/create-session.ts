import wrtc from '@roamhq/wrtc';
import type { Permission } from '../protocol/index.ts';
import type { RTCPeerConnectionCtor } from '../rtc/peer-session.ts';
import type { SignalingClient } from '../rtc/signaling-client.ts';
import { applyAgentFieldTrials } from './capture/render-at-once-sender.ts';
import { withVideoStartBitrate } from './capture/start-bitrate.ts';
import { codecFirst, withPreferredVideoCodec, type CodecCapability, type VideoCodecChoice } from './capture/video-codec.ts';
import type { LiveVideoCodec } from './capture/codec-switch.ts';
import type { Cleanup } from './cleanup.ts';
import { diskSinkFactory } from './files/disk-sink.ts';
import { nodeHasher } from './files/node-hasher.ts';
import type { Platform, ScreenDevices } from './platform/platform.ts';
import { AgentSession, type AgentSessionOptions, type AskPermission } from './session.ts';
import type { TerminalUi } from './terminal/terminal-ui.ts';
import type { FrameRate } from './capture/frame-rate.ts';

/** What a support session needs from the command line, however the agent was started (PIN or ad hoc). */
export interface AgentMediaConfig {
  /** This machine's platform (capture, input, clipboard), chosen once at start. */
  platform: Platform;
  downloadDir: string;
  /** The frame rate cap (`--fps`), or `auto`: by the screen's size (capture/frame-rate.ts). */
  fps: FrameRate;
  /** The screen's codec (`--codec`, capture/video-codec.ts). */
  videoCodec: VideoCodecChoice;
  /** The name the technician sees in `hello`. */
  name: string;
}

export interface AgentSessionDeps extends ScreenDevices {
  /** Where log lines and file progress are printed (the terminal). */
  out: Pick<TerminalUi, 'printLog' | 'progress' | 'print'>;
  /** Tracks partial downloads so they are removed when the session ends. */
  cleanup: Cleanup;
  ask: AskPermission;
  /** The "let the colleague in?" question (PIN sessions; an ad hoc session has nobody to ask). */
  askColleague?: AgentSessionOptions['askColleague'];
  preGranted: readonly Permission[];
  /** The PIN session's signaling client; absent for a peer adopted from the ad hoc agent. */
  signaling?: SignalingClient;
}

const NativePeerConnection = (wrtc as unknown as { RTCPeerConnection: RTCPeerConnectionCtor }).RTCPeerConnection;
const senderCapabilities = wrtc.RTCRtpSender as unknown as Parameters<typeof withPreferredVideoCodec>[1];

/** @roamhq/wrtc's peer connection, with the agent's video start bitrate (capture/start-bitrate.ts) and the stack's own codec order (VP8 first). */
export const RTCPeerConnectionNode = withVideoStartBitrate(NativePeerConnection);
/** Made on first use: the default (VP8) agent never asks the stack for its capabilities at start. */
let av1PeerConnection: RTCPeerConnectionCtor | null = null;

/** The agent's peer connection for a codec choice (`--codec`, capture/video-codec.ts); `auto` starts as `vp8`. */
export function agentPeerConnection(codec: VideoCodecChoice): RTCPeerConnectionCtor {
  if (codec !== 'av1') return RTCPeerConnectionNode;
  return (av1PeerConnection ??= withVideoStartBitrate(withPreferredVideoCodec(NativePeerConnection, senderCapabilities, ['video/AV1'])));
}

const codecOrders = new Map<LiveVideoCodec, readonly CodecCapability[] | null>();

/** `--codec auto`'s orders: each codec first, the rest as the stack lists them (asked of the stack on first use). */
export function agentVideoCodecOrder(codec: LiveVideoCodec): readonly CodecCapability[] | null {
  if (!codecOrders.has(codec)) codecOrders.set(codec, codecFirst(senderCapabilities, codec));
  return codecOrders.get(codec) ?? null;
}

/**
 * Builds the agent's support session (screen, input, clipboard, files to the
 * download folder, log lines to the terminal). Call `init()` on it, then wait
 * for `session.activated` (PIN) or hand its engine a peer with `adopt` (ad hoc).
 */
export function createAgentSession(config: AgentMediaConfig, deps: AgentSessionDeps): AgentSession {
  const trials = applyAgentFieldTrials(config.platform);
  if (trials) deps.out.print(`Video goes out without the render-at-once hint: ${trials}`);
  const session = new AgentSession({
    ...(deps.signaling ? { signaling: deps.signaling } : {}),
    RTCPeerConnection: agentPeerConnection(config.videoCodec),
    ...(config.videoCodec === 'auto' ? { videoCodecOrder: agentVideoCodecOrder } : {}),
    name: config.name,
    capturer: deps.capturer,
    injector: deps.injector,
    clipboard: config.platform.clipboard(),
    files: { sinkFactory: diskSinkFactory(config.downloadDir, deps.cleanup), hasher: nodeHasher },
    ask: deps.ask,
    askColleague: deps.askColleague ?? (() => Promise.resolve(false)),
    preGranted: deps.preGranted,
    fps: config.fps,
  });
  session.engine.log.on('entry', (entry) => deps.out.printLog(entry));
  session.engine.files.on('progress', (p) => deps.out.progress(p));
  session.engine.files.on('finished', (r) => {
    if (r.ok && r.direction === 'receive') deps.out.print(`Saved ${r.savedAs ?? r.name} in ${config.downloadDir}`);
  });
  return session;
}
