import type { Capabilities, ChatMessage } from '../protocol/channels.ts';
import type { IceConfig } from '../protocol/ice.ts';
import { initialPermissions } from '../protocol/permissions.ts';
import type { PermissionMap } from '../protocol/permissions.ts';
import { openPeer, pinSignalPath } from './peer-link.ts';
import type { PeerSession, RTCPeerConnectionCtor } from './peer-session.ts';
import type { SignalingClient } from './signaling-client.ts';
import type { TechnicianEngine } from './technician-engine.ts';

export type ColleagueRelayOptions = {
  engine: TechnicianEngine;
  signaling: SignalingClient;
  sessionId: string;
  ice: IceConfig;
  RTCPeerConnection: RTCPeerConnectionCtor;
  /** Names as the server gave them: the lead (this console), the colleague, the customer. */
  leadName: string;
  colleagueName: string;
  customerName: string;
};

/**
 * The lead's console passes the customer's screen and chat on to a joined
 * colleague's console (docs/decisions.md: it costs the customer nothing
 * more, and the colleague never gets a connection to the customer's machine).
 * Towards the colleague this end speaks as the customer's side would: a
 * `hello` with the customer's name, and a permission map that shows the
 * screen as the customer grants it and control only while the lead has handed
 * it over. The colleague's input reaches the customer through the lead's
 * engine only then, and the customer's end still checks its own grant.
 */
export class ColleagueRelay {
  readonly peer: PeerSession;
  private sender: RTCRtpSender | null = null;
  private track: MediaStreamTrack | null = null;
  private control = false;
  private relaying = false;
  private readonly offs: Array<() => void> = [];

  constructor(private readonly o: ColleagueRelayOptions) {
    // The lead's side is polite here: the colleague's technician engine opens its peer on this side's first offer.
    this.peer = openPeer({ RTCPeerConnection: o.RTCPeerConnection, ice: o.ice, polite: true }, pinSignalPath(o.signaling, o.sessionId, 'colleague'));
    const peer = this.peer;
    peer.waitOpen(['control'], 300_000).then(
      () => this.hello(),
      () => undefined,
    );
    this.offs.push(
      o.engine.on('permissions', () => this.sendPermissions()),
      o.engine.on('hello', () => this.hello()),
      o.engine.on('chat', (m) => {
        if (this.relaying) return;
        const author = m.from === 'me' ? o.leadName : (m.author ?? o.customerName);
        this.forward({ type: 'chat', msgId: crypto.randomUUID(), text: m.text, at: m.at, author });
      }),
      peer.on('chat', (m) => {
        // The colleague's line goes to the customer under the colleague's name (and shows in the lead's chat).
        this.relaying = true;
        try {
          o.engine.sendChat(m.text, o.colleagueName);
        } finally {
          this.relaying = false;
        }
      }),
      peer.on('input', (m) => {
        if (this.control) o.engine.sendInput(m);
      }),
      peer.on('pointer', (m) => {
        if (this.control) o.engine.sendPointer(m);
      }),
    );
  }

  get closed(): boolean {
    return this.peer.closed;
  }

  /** Whether the colleague has remote control now (the lead handed it over). */
  get hasControl(): boolean {
    return this.control;
  }

  /** The customer's screen as the lead receives it (null when it stops). */
  setTrack(track: MediaStreamTrack | null): void {
    if (this.peer.closed || track === this.track) return;
    this.track = track;
    if (this.sender && track) {
      void this.sender.replaceTrack(track).catch(() => undefined);
      return;
    }
    if (this.sender) {
      try {
        this.peer.removeTrack(this.sender);
      } catch {
        // Closing.
      }
      this.sender = null;
    }
    if (track) this.sender = this.peer.addTrack(track);
  }

  /** The lead hands control over (true) or takes it back. */
  setControl(granted: boolean): void {
    if (this.control === granted) return;
    if (!granted) this.o.engine.sendInput({ type: 'input.release_all' });
    this.control = granted;
    this.hello();
  }

  close(): void {
    if (this.control) this.o.engine.sendInput({ type: 'input.release_all' });
    this.offs.splice(0).forEach((off) => off());
    this.peer.close();
  }

  private forward(msg: ChatMessage): void {
    this.peer.send('chat', msg);
  }

  private hello(): void {
    if (this.peer.closed || !this.peer.isOpen('control')) return;
    const hello = this.o.engine.peerHello;
    const capabilities: Capabilities = { input: this.control && (hello?.capabilities.input ?? false), screens: false, clipboard: false, files: false };
    this.peer.send('control', { type: 'hello', role: 'customer', client: hello?.client ?? 'browser', name: this.o.customerName, capabilities });
    this.sendPermissions();
  }

  /** What the colleague may do: see the screen while the customer shares it; control only while handed over. */
  private sendPermissions(): void {
    if (this.peer.closed) return;
    const customer = this.o.engine.permissions.snapshot();
    const map: PermissionMap = { ...initialPermissions(), view: customer.view };
    if (this.control && customer.control === 'granted') map.control = 'granted';
    this.peer.send('control', { type: 'permission.state', permissions: map });
  }
}
