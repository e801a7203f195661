import { CHANNEL_NAMES, channelInit } from '../protocol/channels.ts';
import type { ChannelName } from '../protocol/channels.ts';
import type { IceConfig, SignalData } from '../protocol/ice.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import { decodeChannelMessage, encodeChannelMessage } from './channel-codec.ts';
import type { ChannelMessages } from './channel-codec.ts';
import { ConnectionFactsReader } from './connection-facts.ts';
import type { ConnectionFacts } from './connection-facts.ts';
import { Emitter } from './emitter.ts';
import { FileChannelPort } from './file-channel-port.ts';

export type RTCPeerConnectionCtor = new (config?: RTCConfiguration) => RTCPeerConnection;

export type PeerSessionOptions = {
  /** Browser `RTCPeerConnection`, or `@roamhq/wrtc`'s. */
  RTCPeerConnection: RTCPeerConnectionCtor;
  ice: IceConfig;
  /** Perfect negotiation: the customer is polite, the technician is not. */
  polite: boolean;
  /** Relays to the other peer (through signaling). */
  sendSignal: (data: SignalData) => void;
  /** How long 'disconnected' may last before the impolite side restarts ICE. Default 3000 ms. */
  disconnectedGraceMs?: number;
  /** Fetches fresh ICE servers (TURN credentials) before an ICE restart, e.g. via `ice.refresh`. */
  refreshIce?: () => Promise<IceConfig | null>;
};

export type PeerWarning = { channel: ChannelName | 'signaling' | 'negotiation'; code: string; message: string };

export type PeerSessionEvents = ChannelMessages & {
  /** A binary frame on the files channel (see protocol/file-frame.ts). */
  'files.frame': Uint8Array;
  track: { track: MediaStreamTrack; streams: readonly MediaStream[] };
  connectionstatechange: RTCPeerConnectionState;
  'channel.open': ChannelName;
  'channel.close': ChannelName;
  'ice.restart': { reason: string };
  /** A pointer or input message was just sent or received (after it was sent or handled): a file sender's cue (FilePort.onInput). */
  'input.crossed': undefined;
  /** Something invalid arrived or a negotiation step failed; never thrown. */
  warning: PeerWarning;
  closed: undefined;
};

/** RTCConfiguration from the server's ICE config. */
export function rtcConfiguration(ice: IceConfig): RTCConfiguration {
  return { iceServers: ice.iceServers.map((s) => ({ ...s })), iceTransportPolicy: ice.iceTransportPolicy };
}

const ERRORS_PER_SECOND = 10;
/** The channels whose messages are the technician's hand on the customer's machine (file sending yields to them). */
const isInputChannel = (name: ChannelName): boolean => name === 'pointer' || name === 'input';
/** How often the connection state is re-read once connected (see `onConnectionState`). */
const STATE_WATCH_MS = 500;

const iceUfrags = (sdp: string): string => [...sdp.matchAll(/^a=ice-ufrag:(\S+)/gm)].map((m) => m[1]).join(' ');

/** An offer on an established connection whose ICE credentials changed (RFC 8839: a new ice-ufrag is an ICE restart). */
export function isIceRestartOffer(previousRemoteSdp: string | undefined, offerSdp: string | undefined): boolean {
  if (!previousRemoteSdp || !offerSdp) return false;
  return iceUfrags(previousRemoteSdp) !== iceUfrags(offerSdp);
}

/**
 * One RTCPeerConnection of a support session: the five pre-negotiated data
 * channels, perfect negotiation (W3C WebRTC §10.7), ICE restarts, typed and
 * validated channel messages, and connection facts from getStats.
 *
 * Every negotiation step runs on one promise chain, so an offer being made and
 * an offer arriving never interleave. Rollback is explicit (`{type:'rollback'}`)
 * and descriptions are explicit, because @roamhq/wrtc rejects a parameterless
 * `setLocalDescription()`.
 */
export class PeerSession extends Emitter<PeerSessionEvents> {
  readonly pc: RTCPeerConnection;
  readonly polite: boolean;
  private readonly channels = new Map<ChannelName, RTCDataChannel>();
  private readonly sendSignal: (data: SignalData) => void;
  private readonly graceMs: number;
  private readonly refreshIce: (() => Promise<IceConfig | null>) | undefined;
  private readonly facts = new ConnectionFactsReader();
  private chain: Promise<void> = Promise.resolve();
  private makingOffer = false;
  private ignoreOffer = false;
  private isSettingRemoteAnswerPending = false;
  /** An offer was wanted while not stable; made once the connection is stable again. */
  private pendingOffer: { iceRestart: boolean } | null = null;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  /** From the first connection until closed: re-reads its state (see `onConnectionState`). */
  private stateWatch: ReturnType<typeof setInterval> | null = null;
  private lastState: RTCPeerConnectionState = 'new';
  private errorWindow = { start: 0, count: 0 };
  private filesPortInstance: FileChannelPort | null = null;
  private isClosed = false;
  /** When a pointer or input message last crossed this connection, either way (performance.now()). */
  private lastInputAt = -Infinity;

  constructor(options: PeerSessionOptions) {
    super();
    this.polite = options.polite;
    this.sendSignal = options.sendSignal;
    this.graceMs = options.disconnectedGraceMs ?? 3000;
    this.refreshIce = options.refreshIce;
    const pc = new options.RTCPeerConnection(rtcConfiguration(options.ice));
    this.pc = pc;
    pc.onnegotiationneeded = () => this.negotiate(false);
    pc.onicecandidate = (ev) => {
      if (this.isClosed) return;
      const c = ev.candidate;
      this.sendSignal({
        kind: 'candidate',
        candidate: c
          ? { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null, usernameFragment: c.usernameFragment ?? null }
          : null,
      });
    };
    pc.ontrack = (ev) => this.emit('track', { track: ev.track, streams: ev.streams });
    pc.onconnectionstatechange = () => this.onConnectionState();
    for (const name of CHANNEL_NAMES) this.setupChannel(name, pc.createDataChannel(name, channelInit(name)));
  }

  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The raw data channel (for bufferedAmount or tests). */
  channel(name: ChannelName): RTCDataChannel {
    const ch = this.channels.get(name);
    if (!ch) throw new Error(`no channel ${name}`);
    return ch;
  }

  isOpen(name: ChannelName): boolean {
    return this.channels.get(name)?.readyState === 'open';
  }

  /** Resolves once the channels (default: all five) are open; checks readyState first (FACTS: onopen can be missed). */
  async waitOpen(names: readonly ChannelName[] = CHANNEL_NAMES, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.isClosed) throw new Error('peer session closed');
      if (names.every((n) => this.isOpen(n))) return;
      if (Date.now() > deadline) throw new Error(`channels not open after ${timeoutMs} ms: ${names.filter((n) => !this.isOpen(n)).join(', ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, 50);
        const off = this.on('channel.open', done);
        function done(): void {
          clearTimeout(t);
          off();
          resolve();
        }
      });
    }
  }

  /** Validates and sends one JSON message; false when the channel is not open. Throws on an invalid message. */
  send<C extends ChannelName>(channel: C, msg: ChannelMessages[C]): boolean {
    const text = encodeChannelMessage(channel, msg);
    const ch = this.channels.get(channel);
    if (!ch || ch.readyState !== 'open') return false;
    const input = isInputChannel(channel);
    if (input) this.lastInputAt = performance.now();
    ch.send(text);
    if (input) this.emit('input.crossed', undefined);
    return true;
  }

  /** Milliseconds since a pointer or input message was sent or received here (Infinity: never); file sending yields to input. */
  get msSinceInput(): number {
    return performance.now() - this.lastInputAt;
  }

  /** The files channel as a port for FileTransfer (JSON + binary frames + bufferedAmount). */
  filesPort(): FileChannelPort {
    this.filesPortInstance ??= new FileChannelPort(this.channel('files'), this);
    return this.filesPortInstance;
  }

  /** Applies one signal from the other peer; failures become warnings. */
  handleSignal(data: SignalData): Promise<void> {
    return this.enqueue(async () => {
      if (data.kind === 'candidate') {
        try {
          await this.pc.addIceCandidate(data.candidate ?? undefined);
        } catch (err) {
          if (!this.ignoreOffer) this.warn('signaling', 'INVALID_MESSAGE', `addIceCandidate failed: ${String(err)}`);
        }
        return;
      }
      const description = data.description;
      const readyForOffer = !this.makingOffer && (this.pc.signalingState === 'stable' || this.isSettingRemoteAnswerPending);
      const offerCollision = description.type === 'offer' && !readyForOffer;
      this.ignoreOffer = !this.polite && offerCollision;
      if (this.ignoreOffer) return;
      if (offerCollision && this.pc.signalingState === 'have-local-offer') {
        await this.pc.setLocalDescription({ type: 'rollback' });
        this.pendingOffer ??= { iceRestart: false };
      }
      if (description.type === 'offer' && isIceRestartOffer(this.pc.remoteDescription?.sdp, description.sdp)) await this.refreshIceServers();
      this.isSettingRemoteAnswerPending = description.type === 'answer';
      try {
        await this.pc.setRemoteDescription(description);
      } finally {
        this.isSettingRemoteAnswerPending = false;
      }
      if (description.type === 'offer') {
        const answer = await this.pc.createAnswer();
        await this.pc.setLocalDescription(answer);
        this.signalDescription(answer);
      }
      const pending = this.pendingOffer;
      if (pending && this.pc.signalingState === 'stable') {
        this.pendingOffer = null;
        this.negotiate(pending.iceRestart);
      }
    });
  }

  /**
   * Restarts ICE: refreshes the ICE servers if possible, then offers with
   * `iceRestart`. `offerLost`: an offer still waiting for its answer is known
   * not to have arrived (the other side's signaling was away and the server
   * had nobody to relay it to); it is rolled back, or no new offer could go
   * out until its answer, which never comes.
   */
  restartIce(reason = 'requested', options: { offerLost?: boolean } = {}): Promise<void> {
    this.emit('ice.restart', { reason });
    return this.enqueue(async () => {
      await this.refreshIceServers();
      if (options.offerLost && !this.isClosed && this.pc.signalingState === 'have-local-offer') await this.pc.setLocalDescription({ type: 'rollback' });
    }).then(() => this.negotiate(true));
  }

  /**
   * Fetches fresh ICE servers (new TURN credentials, minted with the server's
   * current secret) and applies them to the next gathering. Both sides do this
   * on an ICE restart: the impolite side before its offer, the polite side
   * before answering one, so a relay that came back with a rotated secret
   * accepts both sides' allocations.
   */
  private async refreshIceServers(): Promise<void> {
    if (!this.refreshIce) return;
    try {
      const ice = await this.refreshIce();
      if (ice && !this.isClosed) this.pc.setConfiguration(rtcConfiguration(ice));
    } catch (err) {
      this.warn('negotiation', 'INTERNAL', `ICE refresh failed: ${String(err)}`);
    }
  }

  /** Adds a track (renegotiates through negotiationneeded). */
  addTrack(track: MediaStreamTrack, ...streams: MediaStream[]): RTCRtpSender {
    return this.pc.addTrack(track, ...streams);
  }

  /**
   * Orders the codecs of the video this side sends (setCodecPreferences on its transceiver) and renegotiates, so
   * the answer, and with it the codec sent, follows the new order (setCodecPreferences alone fires no
   * negotiationneeded). False when no video is sent or the stack refused the order; the old order then stands.
   */
  preferVideoCodecs(codecs: readonly RTCRtpCodec[]): boolean {
    if (this.isClosed) return false;
    const transceiver = this.pc.getTransceivers().find((t) => t.sender.track?.kind === 'video' && t.currentDirection !== 'stopped');
    if (!transceiver) return false;
    try {
      transceiver.setCodecPreferences(codecs as RTCRtpCodec[]);
    } catch (err) {
      this.warn('negotiation', 'INTERNAL', `setCodecPreferences failed: ${String(err)}`);
      return false;
    }
    this.negotiate(false);
    return true;
  }

  removeTrack(sender: RTCRtpSender): void {
    this.pc.removeTrack(sender);
  }

  /** The connection's raw stats report (the agent reads its key frame requests: agent/capture/keyframe-requests.ts). */
  getStats(): Promise<RTCStatsReport> {
    return this.pc.getStats();
  }

  /** Path, candidate types, RTT and inbound video figures; bitrate from the delta since the last call. */
  getConnectionFacts(): Promise<ConnectionFacts> {
    return this.facts.read(this.pc);
  }

  /** Closes the channels and the connection; idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.stateWatch) clearInterval(this.stateWatch);
    for (const ch of this.channels.values()) {
      try {
        ch.close();
      } catch {
        // Already closed.
      }
    }
    this.pc.onnegotiationneeded = this.pc.onicecandidate = this.pc.ontrack = this.pc.onconnectionstatechange = null;
    this.pc.close();
    this.emit('closed', undefined);
    this.removeAllListeners();
  }

  /** Sends an `error` on the control channel for bad input; at most ERRORS_PER_SECOND. */
  private reportInvalid(channel: ChannelName, code: ErrorCode, message: string): void {
    this.warn(channel, code, message);
    const now = Date.now();
    if (now - this.errorWindow.start > 1000) this.errorWindow = { start: now, count: 0 };
    if (++this.errorWindow.count > ERRORS_PER_SECOND) return;
    const text = `${channel}: ${message}`.slice(0, 500);
    try {
      this.send('control', { type: 'error', code, message: text });
    } catch {
      // Never throw from a message handler.
    }
  }

  private warn(channel: PeerWarning['channel'], code: string, message: string): void {
    this.emit('warning', { channel, code, message });
  }

  private setupChannel(name: ChannelName, ch: RTCDataChannel): void {
    ch.binaryType = 'arraybuffer';
    this.channels.set(name, ch);
    ch.onopen = () => this.emit('channel.open', name);
    ch.onclose = () => {
      if (!this.isClosed) this.emit('channel.close', name);
    };
    ch.onmessage = (ev: MessageEvent) => this.onChannelMessage(name, ev.data);
  }

  private onChannelMessage(name: ChannelName, data: unknown): void {
    if (this.isClosed) return;
    if (typeof data !== 'string') {
      if (name === 'files' && (data instanceof ArrayBuffer || ArrayBuffer.isView(data))) {
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        this.emit('files.frame', bytes);
      } else {
        this.reportInvalid(name, 'INVALID_MESSAGE', 'binary messages are not allowed on this channel');
      }
      return;
    }
    const parsed = decodeChannelMessage(name, data);
    if (!parsed.ok) {
      this.reportInvalid(name, parsed.code, parsed.message);
      return;
    }
    const input = isInputChannel(name);
    if (input) this.lastInputAt = performance.now();
    // An error from the peer is a warning here, never answered (no error loops).
    if (name === 'control' && parsed.value.type === 'error') this.warn('control', parsed.value.code, `peer: ${parsed.value.message}`);
    (this.emit as (t: ChannelName, m: unknown) => void)(name, parsed.value);
    if (input) this.emit('input.crossed', undefined);
  }

  /**
   * Measured (test/faults/link-down.fault.ts): @roamhq/wrtc's state events and
   * its `connectionState` getter do not always agree. After an ICE restart that
   * recovers a lost path it reports `connected` but fires no event, so the
   * session would say "disconnected" for ever; and once (CI, a 15 s outage) the
   * event for the lost path fired while the getter still read `connected`, so no
   * ICE restart was ever made. So from the first connection on, the state is
   * re-read every 500 ms (a getter, no stats), and a change acts as an event.
   */
  private onConnectionState(): void {
    const state = this.pc.connectionState;
    if (state === this.lastState && this.stateWatch) return;
    this.lastState = state;
    if (state === 'connected' && !this.stateWatch && !this.isClosed) {
      this.stateWatch = setInterval(() => {
        if (this.isClosed || this.pc.connectionState !== this.lastState) this.onConnectionState();
      }, STATE_WATCH_MS);
      // Node: the watch alone does not keep a process alive (browsers have no unref).
      (this.stateWatch as { unref?: () => void }).unref?.();
    } else if (this.isClosed && this.stateWatch) {
      clearInterval(this.stateWatch);
      this.stateWatch = null;
    }
    if (this.isClosed) return;
    this.emit('connectionstatechange', state);
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    if (this.polite || this.isClosed) return;
    if (state === 'failed') {
      void this.restartIce('connection failed');
    } else if (state === 'disconnected') {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        const now = this.pc.connectionState;
        if (!this.isClosed && (now === 'disconnected' || now === 'failed')) void this.restartIce('connection disconnected');
      }, this.graceMs);
    }
  }

  private negotiate(iceRestart: boolean): void {
    void this.enqueue(async () => {
      if (this.isClosed) return;
      if (this.pc.signalingState !== 'stable') {
        this.pendingOffer = { iceRestart: iceRestart || (this.pendingOffer?.iceRestart ?? false) };
        return;
      }
      this.makingOffer = true;
      try {
        const offer = await this.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
        if (this.pc.signalingState !== 'stable') {
          this.pendingOffer = { iceRestart: iceRestart || (this.pendingOffer?.iceRestart ?? false) };
          return;
        }
        await this.pc.setLocalDescription(offer);
        this.signalDescription(offer);
      } finally {
        this.makingOffer = false;
      }
    });
  }

  private signalDescription(desc: RTCSessionDescriptionInit): void {
    if (this.isClosed) return;
    this.sendSignal({ kind: 'description', description: desc.sdp === undefined ? { type: desc.type } : { type: desc.type, sdp: desc.sdp } });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.isClosed) return;
      try {
        await step();
      } catch (err) {
        if (!this.isClosed) this.warn('negotiation', 'INTERNAL', String(err));
      }
    });
    this.chain = run;
    return run;
  }
}
