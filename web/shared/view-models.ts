/** What the shared panels render; the session controllers map the rtc/ models onto these. */

export interface ChatEntry {
  id: string;
  /** Who wrote it: this side or the other. */
  from: 'me' | 'peer';
  name: string;
  text: string;
  at: number;
}

export interface LogEntry {
  at: number;
  text: string;
}

export type TransferDirection = 'send' | 'receive';
export type TransferPhase = 'waiting' | 'transferring' | 'done' | 'failed' | 'cancelled';

export interface TransferView {
  id: string;
  name: string;
  size: number;
  direction: TransferDirection;
  bytes: number;
  phase: TransferPhase;
  /** SHA-256 hex of the whole file, once known. */
  sha256?: string | undefined;
  /** Whether the receiver's hash matched the sender's (set on completion). */
  verified?: boolean | undefined;
  /** For received files: an object URL to download. */
  url?: string | undefined;
  error?: string | undefined;
  /** For files the support app received: the name in its download folder ("Show in folder"). */
  savedAs?: string | undefined;
}
