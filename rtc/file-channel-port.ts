import type { FileMessage } from '../protocol/channels.ts';
import { encodeChannelMessage } from './channel-codec.ts';

/** What FileTransfer needs from the files channel; PeerSession provides one per connection. */
export interface FilePort {
  readonly isOpen: boolean;
  readonly bufferedAmount: number;
  sendMessage(msg: FileMessage): boolean;
  sendFrame(frame: Uint8Array): boolean;
  onMessage(handler: (msg: FileMessage) => void): () => void;
  onFrame(handler: (frame: Uint8Array) => void): () => void;
  /** The channel or its connection closed; the port is dead. */
  onClose(handler: () => void): () => void;
}

type Source = {
  on(type: 'files', h: (m: FileMessage) => void): () => void;
  on(type: 'files.frame', h: (f: Uint8Array) => void): () => void;
  on(type: 'channel.close', h: (name: string) => void): () => void;
  on(type: 'closed', h: () => void): () => void;
};

/** The files data channel of one PeerSession as a FilePort. */
export class FileChannelPort implements FilePort {
  constructor(
    private readonly channel: RTCDataChannel,
    private readonly source: Source,
  ) {}

  get isOpen(): boolean {
    return this.channel.readyState === 'open';
  }

  get bufferedAmount(): number {
    return this.channel.bufferedAmount;
  }

  sendMessage(msg: FileMessage): boolean {
    const text = encodeChannelMessage('files', msg);
    if (!this.isOpen) return false;
    this.channel.send(text);
    return true;
  }

  sendFrame(frame: Uint8Array): boolean {
    if (!this.isOpen) return false;
    this.channel.send(frame as Uint8Array<ArrayBuffer>);
    return true;
  }

  onMessage(handler: (msg: FileMessage) => void): () => void {
    return this.source.on('files', handler);
  }

  onFrame(handler: (frame: Uint8Array) => void): () => void {
    return this.source.on('files.frame', handler);
  }

  onClose(handler: () => void): () => void {
    const offA = this.source.on('channel.close', (name) => {
      if (name === 'files') handler();
    });
    const offB = this.source.on('closed', () => handler());
    return () => {
      offA();
      offB();
    };
  }
}
