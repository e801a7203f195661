import type { Permission, PermissionMap } from '../../protocol/permissions.ts';
import type { Colleague } from '../../rtc/customer-engine.ts';
import type { Store } from '../shared/store.ts';
import type { ChatEntry, LogEntry, TransferView } from '../shared/view-models.ts';

/** How the connection to the technician runs, once known. */
export type ConnectionPath = 'direct' | 'relayed' | 'unknown';

/**
 * What the customer components (rr-customer-session and the panels it holds)
 * talk to: one implementation, two transports.
 *   - The browser support page: `CustomerModel` over the page's own customer
 *     engine (rtc/customer-engine.ts in the browser; files are picked with the
 *     browser's file input and read in the page).
 *   - The support app's window: `WindowModel` over the local WebSocket of
 *     protocol/window.ts to the agent, which runs the engine; files are picked
 *     by the agent (the desktop's picker) and read from disk by the agent.
 * Either way the engine on the customer's machine is the authority on every
 * permission; the components only show state and send the customer's intent.
 */
export interface CustomerPort extends Store {
  /** The technician's name as the signaling server verified it. */
  readonly technicianName: string;
  /** The technician's account (email) as the server verified it, when known. */
  readonly technicianAccount: string | null;
  readonly permissions: PermissionMap;
  /** Permissions the technician asked for that await Yes or No, oldest first (shown one at a time). */
  readonly pending: readonly Permission[];
  /** The technician can see the screen now. */
  readonly sharing: boolean;
  readonly shareError: string;
  readonly chat: readonly ChatEntry[];
  readonly log: readonly LogEntry[];
  readonly transfers: readonly TransferView[];
  /** Chat and files can go to the technician now. */
  readonly connected: boolean;
  readonly connectionPath: ConnectionPath | null;
  /** Said when the session went to another technician (names from the server). */
  readonly transferNotice?: string;
  /** The second technician the lead invited, waiting for an answer or joined. */
  readonly colleague?: Colleague | null;
  answerColleague?(accept: boolean): Promise<void>;
  removeColleague?(): Promise<void>;
  /**
   * How files are chosen: `browser` (the page's file input, read in the page)
   * or `agent` (the agent's own picker or dropped paths; the agent reads the
   * file from disk).
   */
  readonly fileSource: 'browser' | 'agent';
  /** Where received files are saved (`agent` only), shown next to "Show in folder". */
  readonly downloadDir: string | null;
  /** Whether this side can honour `permission` at all (a browser share is view only). */
  offers(permission: Permission): boolean;
  answer(permission: Permission, granted: boolean): Promise<void>;
  revoke(permission: Permission): void;
  /** "Stop all access now". */
  revokeAll(): void;
  sendChat(text: string): void;
  /** `browser`: files picked or dropped in the page. */
  sendFiles(files: readonly File[]): void;
  /** `agent`: the agent shows the desktop's file picker and sends what is picked. */
  pickFile(): void;
  /** `agent`: files dropped from the file manager, by path; the agent reads them from disk. */
  sendPaths(paths: readonly string[]): void;
  /** `agent`: opens the folder holding a received file. */
  showInFolder(transferId: string): void;
  end(): Promise<void>;
}
