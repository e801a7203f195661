import { z } from 'zod';
import { emailSchema, errorMessageSchema, nameSchema, reasonSchema, requestId, timestampSchema, uuidSchema } from './common.ts';
import { LIMITS } from './limits.ts';
import { typesOf } from './parse.ts';
import { permissionMapSchema, permissionSchema } from './permissions.ts';

/**
 * The support window's WebSocket: the agent (the authority) and the page it
 * serves on 127.0.0.1 to the customer (agent/window/). Only the local customer
 * holds the URL's secret; nothing here reaches the technician, and the agent
 * still enforces every permission. The font size is page-local and never
 * crosses this socket.
 */
export const WINDOW_LIMITS = {
  /** Largest message from the page (a path or a chat line fits easily). */
  clientMessageBytes: 16 * 1024,
  /** Largest message from the agent (the snapshot with its bounded lists). */
  serverMessageBytes: 1024 * 1024,
  pathChars: 4096,
  /** What a snapshot repeats of each list for a page opened (or reopened) late. */
  snapshotChat: 200,
  snapshotLog: 300,
  snapshotFiles: 50,
  logKindChars: 40,
  /** The transfer notice (two names, an account and the note). */
  noticeChars: 2000,
} as const;

export const windowPathSchema = z.string().min(1).max(WINDOW_LIMITS.pathChars);

/** The technician as the signaling server verified them: display name and account (email). */
export const windowTechnicianSchema = z.strictObject({ name: nameSchema, account: emailSchema.nullable() });
export const windowPromptSchema = z.strictObject({
  promptId: uuidSchema,
  permission: permissionSchema,
  /** The plain-words request, e.g. "Control your mouse and keyboard". */
  label: z.string().min(1).max(LIMITS.nameChars),
});
export const windowChatLineSchema = z.strictObject({
  msgId: uuidSchema,
  from: z.enum(['technician', 'customer']),
  text: z.string().min(1).max(LIMITS.chatChars),
  at: timestampSchema,
});
export const windowLogEntrySchema = z.strictObject({
  at: timestampSchema,
  actor: z.enum(['technician', 'customer', 'system']),
  kind: z.string().min(1).max(WINDOW_LIMITS.logKindChars),
  text: z.string().max(LIMITS.auditDetailChars),
});
export const TRANSFER_STATES = ['hashing', 'offered', 'sending', 'receiving', 'verifying', 'paused', 'done', 'failed'] as const;
export const windowFileSchema = z.strictObject({
  transferId: uuidSchema,
  direction: z.enum(['send', 'receive']),
  name: z.string().min(1).max(LIMITS.fileNameChars),
  bytes: z.number().int().nonnegative().max(LIMITS.fileBytes),
  total: z.number().int().nonnegative().max(LIMITS.fileBytes),
  state: z.enum(TRANSFER_STATES),
  /** A received file's name in the download folder, once verified ("Show in folder" works then). */
  savedAs: z.string().max(LIMITS.fileNameChars).nullable(),
  /** Why it failed, in plain words; null otherwise. */
  problem: z.string().max(LIMITS.reasonChars).nullable(),
});
/** The second technician the lead invited (names from the server's accounts): waiting for the customer's answer, or joined. */
export const windowColleagueSchema = z.strictObject({
  name: nameSchema,
  email: z.string().max(LIMITS.emailChars),
  leadName: nameSchema,
  state: z.enum(['asked', 'joined']),
  control: z.boolean(),
});
export const CONNECTION_PATHS = ['direct', 'relayed', 'unknown'] as const;
export const windowConnectionSchema = z.strictObject({ path: z.enum(CONNECTION_PATHS) });

// Agent -> page.

const snapshot = z.strictObject({
  type: z.literal('window.snapshot'),
  technician: windowTechnicianSchema.nullable(),
  permissions: permissionMapSchema,
  /** The one open permission question, if any. */
  prompt: windowPromptSchema.nullable(),
  chat: z.array(windowChatLineSchema).max(WINDOW_LIMITS.snapshotChat),
  log: z.array(windowLogEntrySchema).max(WINDOW_LIMITS.snapshotLog),
  files: z.array(windowFileSchema).max(WINDOW_LIMITS.snapshotFiles),
  connection: windowConnectionSchema.nullable(),
  /** Where received files go (shown next to "Show in folder"). */
  downloadDir: windowPathSchema,
  colleague: windowColleagueSchema.nullable(),
  /** Said once the session went to another technician (names from the server). */
  transferNotice: z.string().max(WINDOW_LIMITS.noticeChars).nullable(),
  ended: z.strictObject({ reason: reasonSchema }).nullable(),
});
const technician = z.strictObject({ type: z.literal('technician'), technician: windowTechnicianSchema });
/** One question at a time; the next comes after this one is answered or withdrawn. */
const promptOpen = z.strictObject({ type: z.literal('prompt.open'), prompt: windowPromptSchema });
const promptClosed = z.strictObject({
  type: z.literal('prompt.closed'),
  promptId: uuidSchema,
  /** answered: here or in the terminal; withdrawn: the session ended or the question lapsed. */
  outcome: z.enum(['answered', 'withdrawn']),
});
const permissionState = z.strictObject({ type: z.literal('permission.state'), permissions: permissionMapSchema });
const chat = z.strictObject({ type: z.literal('chat'), line: windowChatLineSchema });
const logEntry = z.strictObject({ type: z.literal('log.entry'), entry: windowLogEntrySchema });
/** A transfer appeared or changed (progress at most a few times a second, and its end). */
const file = z.strictObject({ type: z.literal('file'), file: windowFileSchema });
const connection = z.strictObject({ type: z.literal('connection'), connection: windowConnectionSchema });
const sessionEnded = z.strictObject({ type: z.literal('session.ended'), reason: reasonSchema });
/** The colleague was invited (the window asks), joined, got or lost control, or left (null). */
const colleague = z.strictObject({ type: z.literal('colleague'), colleague: windowColleagueSchema.nullable() });
const transferNotice = z.strictObject({ type: z.literal('transfer.notice'), text: z.string().max(WINDOW_LIMITS.noticeChars) });

export const WINDOW_SERVER_MESSAGES = [
  snapshot,
  technician,
  promptOpen,
  promptClosed,
  permissionState,
  chat,
  logEntry,
  file,
  connection,
  sessionEnded,
  colleague,
  transferNotice,
  errorMessageSchema,
] as const;
export const windowServerMessageSchema = z.discriminatedUnion('type', WINDOW_SERVER_MESSAGES);
export type WindowServerMessage = z.infer<typeof windowServerMessageSchema>;
export const WINDOW_SERVER_MESSAGE_TYPES = typesOf(WINDOW_SERVER_MESSAGES);

// Page -> agent.

/** The answer names the permission too: an answer to a question the customer did not see is refused. */
const promptAnswer = z.strictObject({ type: z.literal('prompt.answer'), id: requestId, promptId: uuidSchema, permission: permissionSchema, allow: z.boolean() });
const chatSend = z.strictObject({ type: z.literal('chat.send'), id: requestId, text: z.string().trim().min(1).max(LIMITS.chatChars) });
/** Send a file the agent reads from its own disk (no browser upload limit). */
const fileSend = z.strictObject({ type: z.literal('file.send'), id: requestId, path: windowPathSchema });
/** Ask the agent to show its own file picker (a desktop dialog) and send what is picked. */
const filePick = z.strictObject({ type: z.literal('file.pick'), id: requestId });
/** Open the download folder with this received file selected. */
const fileShow = z.strictObject({ type: z.literal('file.show'), id: requestId, transferId: uuidSchema });
const permissionRevoke = z.strictObject({ type: z.literal('permission.revoke'), id: requestId, permission: permissionSchema });
/** "Stop all access now": every permission revoked at once. */
const accessStop = z.strictObject({ type: z.literal('access.stop'), id: requestId });
const sessionEnd = z.strictObject({ type: z.literal('session.end'), id: requestId });
/** The customer's answer to the colleague the lead invited; refused when no colleague is waiting. */
const colleagueAnswer = z.strictObject({ type: z.literal('colleague.answer'), id: requestId, accept: z.boolean() });
const colleagueRemove = z.strictObject({ type: z.literal('colleague.remove'), id: requestId });

export const WINDOW_CLIENT_MESSAGES = [
  promptAnswer,
  chatSend,
  fileSend,
  filePick,
  fileShow,
  permissionRevoke,
  accessStop,
  sessionEnd,
  colleagueAnswer,
  colleagueRemove,
] as const;
export const windowClientMessageSchema = z.discriminatedUnion('type', WINDOW_CLIENT_MESSAGES);
export type WindowClientMessage = z.infer<typeof windowClientMessageSchema>;
export const WINDOW_CLIENT_MESSAGE_TYPES = typesOf(WINDOW_CLIENT_MESSAGES);

export type WindowSnapshot = Extract<WindowServerMessage, { type: 'window.snapshot' }>;
export type WindowFile = z.infer<typeof windowFileSchema>;
export type WindowPrompt = z.infer<typeof windowPromptSchema>;
export type WindowTechnician = z.infer<typeof windowTechnicianSchema>;
export type WindowColleague = z.infer<typeof windowColleagueSchema>;
