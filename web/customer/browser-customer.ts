import type { Capabilities } from '../../protocol/channels.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { CustomerEngine } from '../../rtc/customer-engine.ts';
import { Emitter } from '../../rtc/emitter.ts';
import type { RTCPeerConnectionCtor } from '../../rtc/peer-session.ts';
import type { SessionLog } from '../../rtc/session-log.ts';
import type { SignalingClient } from '../../rtc/signaling-client.ts';
import { blobSinkFactory } from '../shared/transfer-rows.ts';

/** What a browser share can do: view only (a page cannot inject input), no clipboard. */
export const BROWSER_CAPABILITIES: Readonly<Capabilities> = { input: false, screens: false, clipboard: false, files: true };

export type BrowserCustomerOptions = {
  /** The name the customer typed (the technician's queue and the `hello` show it); default "Customer". */
  name?: string;
  signaling: SignalingClient;
  RTCPeerConnection: RTCPeerConnectionCtor;
  /** The page's `navigator.mediaDevices.getDisplayMedia` (the browser's share picker). */
  getDisplayMedia: (options: DisplayMediaStreamOptions) => Promise<MediaStream>;
  log?: SessionLog;
};

type BrowserCustomerEvents = { share: { sharing: boolean; error: string } };

/**
 * The support page's adapter over the customer engine: the screen comes from
 * `getDisplayMedia` (the picker opens when the customer answers Yes to `view`,
 * and a cancelled picker refuses), received files become Blobs for the page to
 * offer as downloads. Everything else (the permission authority, chat, files,
 * the log, audit reports) is the engine's.
 */
export class BrowserCustomer extends Emitter<BrowserCustomerEvents> {
  readonly engine: CustomerEngine;
  /** Received files by transfer id, until the page turns them into download links. */
  readonly blobs = new Map<string, Blob>();
  sharing = false;
  shareError = '';
  /** Picked in the share picker, not yet on the connection. */
  private picked: MediaStream | null = null;
  /** On the connection. */
  private stream: MediaStream | null = null;

  constructor(private readonly o: BrowserCustomerOptions) {
    super();
    this.engine = new CustomerEngine({
      signaling: o.signaling,
      RTCPeerConnection: o.RTCPeerConnection,
      name: o.name?.slice(0, LIMITS.nameChars) || 'Customer',
      client: 'browser',
      capabilities: { ...BROWSER_CAPABILITIES },
      ...(o.log ? { log: o.log } : {}),
      files: { sinkFactory: blobSinkFactory(this.blobs) },
      prepareGrant: (permission) => (permission === 'view' ? this.pick() : Promise.resolve(true)),
      video: { start: async () => this.share(), stop: () => this.stopShare() },
    });
    this.engine.on('permission', (c) => {
      // A picked screen whose grant did not happen (revoked, session gone) is not kept.
      if (c.permission === 'view' && c.to !== 'granted' && c.to !== 'asked') this.dropPicked();
    });
    this.engine.on('closed', () => {
      this.stopShare();
      this.dropPicked();
    });
  }

  /**
   * Shares the screen again without a new question (after a reload, the
   * customer had allowed it): the browser's picker opens; a cancelled picker
   * shares nothing.
   */
  async reshare(): Promise<void> {
    if (this.engine.permissions.isGranted('view') || !(await this.pick())) return;
    this.engine.grant('view');
  }

  /** Opens the share picker; false (and `shareError`) when the customer cancelled it or it failed. */
  private async pick(): Promise<boolean> {
    this.shareError = '';
    let stream: MediaStream;
    try {
      stream = await this.o.getDisplayMedia({ video: { frameRate: { ideal: 30 } }, audio: false });
    } catch (err) {
      this.shareError = `Screen sharing did not start (${err instanceof Error ? err.name : 'Error'}). Nothing is shared.`;
      this.changed();
      return false;
    }
    const track = stream.getVideoTracks()[0];
    if (!track || this.engine.closed) {
      for (const t of stream.getTracks()) t.stop();
      return false;
    }
    track.contentHint = 'detail';
    // The browser's own "Stop sharing" button.
    track.onended = () => this.engine.revoke('view');
    this.dropPicked();
    this.picked = stream;
    return true;
  }

  /** The engine puts the screen on the connection. */
  private share(): MediaStreamTrack | null {
    const stream = this.picked;
    this.picked = null;
    const track = stream?.getVideoTracks()[0] ?? null;
    if (!stream || !track) return null;
    this.stream = stream;
    this.sharing = true;
    this.engine.log.add('customer', 'screen', 'Sharing this screen.');
    this.changed();
    return track;
  }

  private stopShare(): void {
    const stream = this.stream;
    this.stream = null;
    if (!stream) return;
    for (const t of stream.getTracks()) t.stop();
    this.engine.log.add('customer', 'screen', 'Stopped sharing this screen.');
    this.sharing = false;
    this.changed();
  }

  private dropPicked(): void {
    for (const t of this.picked?.getTracks() ?? []) t.stop();
    this.picked = null;
  }

  private changed(): void {
    this.emit('share', { sharing: this.sharing, error: this.shareError });
  }
}
