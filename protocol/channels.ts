import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { errorCodeSchema, fractionSchema, roleSchema, nameSchema, sha256HexSchema, timestampSchema, uuidSchema } from './common.ts';
import { permissionMapSchema, permissionSchema, type Permission } from './permissions.ts';
import { typesOf } from './parse.ts';

/**
 * The data channels of a session. All are pre-negotiated (`negotiated: true`
 * with a fixed id), so both peers create the same set and neither waits for
 * `ondatachannel`. Input never queues behind file chunks: pointer moves go
 * unordered and unreliable (a late move is worthless), keys and buttons on
 * their own ordered channel, files on theirs.
 */
export const CHANNELS = {
  control: { id: 0, ordered: true },
  chat: { id: 1, ordered: true },
  pointer: { id: 2, ordered: false, maxRetransmits: 0 },
  input: { id: 3, ordered: true },
  files: { id: 4, ordered: true },
} as const satisfies Record<string, { id: number; ordered: boolean; maxRetransmits?: number }>;
export type ChannelName = keyof typeof CHANNELS;
export const CHANNEL_NAMES = Object.keys(CHANNELS) as ChannelName[];

/** RTCDataChannelInit for a channel, the same on both peers. */
export function channelInit(name: ChannelName): RTCDataChannelInit {
  const spec: { id: number; ordered: boolean; maxRetransmits?: number } = CHANNELS[name];
  return spec.maxRetransmits === undefined
    ? { negotiated: true, id: spec.id, ordered: spec.ordered }
    : { negotiated: true, id: spec.id, ordered: spec.ordered, maxRetransmits: spec.maxRetransmits };
}

// control channel

export const screenSchema = z.strictObject({
  id: z.string().min(1).max(64),
  name: z.string().max(LIMITS.nameChars),
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().positive().max(16384),
  height: z.number().int().positive().max(16384),
  primary: z.boolean(),
});
export type Screen = z.infer<typeof screenSchema>;

/** What one end can do: a browser share cannot inject input. */
export const capabilitiesSchema = z.strictObject({
  input: z.boolean(),
  screens: z.boolean(),
  clipboard: z.boolean(),
  files: z.boolean(),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

/** Whether a customer end with these capabilities can honour `permission` at all (`view` always). */
export function offersPermission(capabilities: Capabilities, permission: Permission): boolean {
  switch (permission) {
    case 'view':
      return true;
    case 'control':
      return capabilities.input;
    case 'files':
      return capabilities.files;
    case 'clipboard':
      return capabilities.clipboard;
  }
}

const hello = z.strictObject({
  type: z.literal('hello'),
  role: roleSchema,
  client: z.enum(['browser', 'agent']),
  name: nameSchema,
  capabilities: capabilitiesSchema,
});
const permissionRequest = z.strictObject({ type: z.literal('permission.request'), permission: permissionSchema });
/** The customer's side is the authority; it sends the whole map on every change. */
const permissionStateMsg = z.strictObject({ type: z.literal('permission.state'), permissions: permissionMapSchema });
const screens = z.strictObject({
  type: z.literal('screens'),
  screens: z.array(screenSchema).max(LIMITS.screens),
  selected: z.string().max(64).nullable(),
});
const screenSelect = z.strictObject({ type: z.literal('screen.select'), screenId: z.string().min(1).max(64) });
const clipboard = z.strictObject({ type: z.literal('clipboard'), text: z.string().max(LIMITS.clipboardChars) });
const sessionEnd = z.strictObject({ type: z.literal('session.end'), reason: z.string().max(LIMITS.reasonChars) });
const channelError = z.strictObject({
  type: z.literal('error'),
  code: errorCodeSchema,
  message: z.string().max(500),
});
/**
 * Ad hoc: the agent asks the technician to prove the computer's password (see
 * docs/adhoc.md and protocol/adhoc-proof.ts). The password itself never
 * crosses: both sides derive K = argon2id(password, salt, kdf). `setup` is
 * sent once, at pairing, when the agent has no key yet: the proof carries K,
 * which the agent stores. `verify` is every later connection: the proof is a
 * MAC under K over the nonce and both DTLS fingerprints. The agent alone
 * decides the mode; the server cannot.
 */
const base64Url = (min: number, max: number) => z.string().regex(/^[A-Za-z0-9_-]+$/).min(min).max(max);
const authChallenge = z.strictObject({
  type: z.literal('auth.challenge'),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/),
  mode: z.enum(['setup', 'verify']),
  /** The argon2id salt (16 bytes, base64url): fresh at setup, the stored one at verify. */
  salt: base64Url(22, 64),
  /** argon2id cost; the console accepts only protocol v1's fixed values (ADHOC_KDF). */
  kdf: z.strictObject({
    memoryKiB: z.number().int().positive(),
    iterations: z.number().int().positive(),
    parallelism: z.number().int().positive(),
  }),
});
/** The answer to one challenge; `nonce` must echo it. `key` (K, 32 bytes) answers `setup`, `mac` (HMAC-SHA256) answers `verify`. */
const authProof = z.strictObject({
  type: z.literal('auth.proof'),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/),
  key: base64Url(43, 43).optional(),
  mac: base64Url(43, 43).optional(),
});
/** Until `ok: true` the agent sends no video and ignores input, files and clipboard. */
const authResult = z.strictObject({
  type: z.literal('auth.result'),
  ok: z.boolean(),
  /** ADHOC_AUTH_FAILED, FORBIDDEN or RATE_LIMITED when not ok. */
  code: errorCodeSchema.optional(),
  /** When locked after too many wrong passwords: how long until the next try is heard. */
  retryAfterMs: z.number().int().nonnegative().optional(),
});

export const CONTROL_MESSAGES = [
  hello,
  permissionRequest,
  permissionStateMsg,
  screens,
  screenSelect,
  clipboard,
  sessionEnd,
  channelError,
  authChallenge,
  authProof,
  authResult,
] as const;
export const controlMessageSchema = z.discriminatedUnion('type', CONTROL_MESSAGES);
export type ControlMessage = z.infer<typeof controlMessageSchema>;
export const CONTROL_MESSAGE_TYPES = typesOf(CONTROL_MESSAGES);

// chat channel

const chat = z.strictObject({
  type: z.literal('chat'),
  msgId: uuidSchema,
  text: z.string().min(1).max(LIMITS.chatChars),
  at: timestampSchema,
  /**
   * Who wrote a line the lead's console relays (the colleague, or the customer
   * towards the colleague). The customer's end shows it only when it is the
   * colleague it approved, by the server's name.
   */
  author: z.string().min(1).max(LIMITS.nameChars).optional(),
});
export const CHAT_MESSAGES = [chat] as const;
export const chatMessageSchema = z.discriminatedUnion('type', CHAT_MESSAGES);
export type ChatMessage = z.infer<typeof chatMessageSchema>;
export const CHAT_MESSAGE_TYPES = typesOf(CHAT_MESSAGES);

// pointer channel (unordered, unreliable)

const pointerMove = z.strictObject({ type: z.literal('pointer.move'), x: fractionSchema, y: fractionSchema });
export const POINTER_MESSAGES = [pointerMove] as const;
export const pointerMessageSchema = z.discriminatedUnion('type', POINTER_MESSAGES);
export type PointerMessage = z.infer<typeof pointerMessageSchema>;
export const POINTER_MESSAGE_TYPES = typesOf(POINTER_MESSAGES);

// input channel (ordered, reliable)

export const mouseButtonSchema = z.enum(['left', 'middle', 'right']);
export type MouseButton = z.infer<typeof mouseButtonSchema>;
const pointerButton = z.strictObject({
  type: z.literal('pointer.button'),
  button: mouseButtonSchema,
  down: z.boolean(),
  x: fractionSchema,
  y: fractionSchema,
});
/** Wheel in notches (lines), positive = down/right; bounded to keep one event cheap. */
const wheel = z.strictObject({
  type: z.literal('wheel'),
  dx: z.number().int().min(-20).max(20),
  dy: z.number().int().min(-20).max(20),
  x: fractionSchema,
  y: fractionSchema,
});
/** What a `KeyboardEvent.code` looks like ("KeyA", "ShiftLeft"); the console sends no other key. */
export const KEY_CODE_PATTERN = /^[A-Za-z0-9]+$/;
/** A key by its physical `KeyboardEvent.code` (layout-independent); `key` helps printable keys. */
const key = z.strictObject({
  type: z.literal('key'),
  code: z.string().min(1).max(32).regex(KEY_CODE_PATTERN),
  key: z.string().max(32),
  down: z.boolean(),
});
const text = z.strictObject({ type: z.literal('text'), text: z.string().min(1).max(LIMITS.typedTextChars) });
/** Releases every key and button held (sent when the technician's view loses focus). */
const releaseAll = z.strictObject({ type: z.literal('input.release_all') });
export const INPUT_MESSAGES = [pointerButton, wheel, key, text, releaseAll] as const;
export const inputMessageSchema = z.discriminatedUnion('type', INPUT_MESSAGES);
export type InputMessage = z.infer<typeof inputMessageSchema>;
export const INPUT_MESSAGE_TYPES = typesOf(INPUT_MESSAGES);

// files channel: JSON control messages (strings) and binary chunk frames (see file-frame.ts).

/**
 * Offers a file. `sha256` is there when the sender knew the digest before its
 * first frame (a re-offer after the whole file was read, or a digest given up
 * front); otherwise the sender hashes while it sends and tells the digest in
 * `file.digest` after its last frame, so no file is read twice before it moves.
 */
const fileOffer = z.strictObject({
  type: z.literal('file.offer'),
  transferId: uuidSchema,
  name: z.string().min(1).max(LIMITS.fileNameChars),
  size: z.number().int().nonnegative().max(LIMITS.fileBytes),
  sha256: sha256HexSchema.optional(),
  chunkSize: z.number().int().min(1024).max(LIMITS.fileChunkBytes),
  mime: z.string().max(LIMITS.mimeChars).optional(),
});
/** Accepts an offer, or resumes one: the sender starts at `fromChunk`. */
const fileAccept = z.strictObject({
  type: z.literal('file.accept'),
  transferId: uuidSchema,
  fromChunk: z.number().int().nonnegative(),
});
const fileReject = z.strictObject({
  type: z.literal('file.reject'),
  transferId: uuidSchema,
  code: errorCodeSchema,
  message: z.string().max(500),
});
/** The receiver has written and verified every chunk below `nextChunk`. */
const fileAck = z.strictObject({ type: z.literal('file.ack'), transferId: uuidSchema, nextChunk: z.number().int().nonnegative() });
/** The sender's SHA-256 of the whole file, after its last frame, when the offer had none. */
const fileDigest = z.strictObject({ type: z.literal('file.digest'), transferId: uuidSchema, sha256: sha256HexSchema });
const fileComplete = z.strictObject({
  type: z.literal('file.complete'),
  transferId: uuidSchema,
  ok: z.boolean(),
  sha256: sha256HexSchema,
  savedAs: z.string().max(LIMITS.fileNameChars).optional(),
});
/** Why a side gave up, when the other should show it as such (the receiver's disk filled up). */
export const FILE_CANCEL_CODES = ['DISK_FULL', 'FILE_IO'] as const;
const fileCancel = z.strictObject({
  type: z.literal('file.cancel'),
  transferId: uuidSchema,
  reason: z.string().max(LIMITS.reasonChars),
  code: z.enum(FILE_CANCEL_CODES).optional(),
});
export const FILE_MESSAGES = [fileOffer, fileAccept, fileReject, fileAck, fileDigest, fileComplete, fileCancel] as const;
export const fileMessageSchema = z.discriminatedUnion('type', FILE_MESSAGES);
export type FileMessage = z.infer<typeof fileMessageSchema>;
export const FILE_MESSAGE_TYPES = typesOf(FILE_MESSAGES);
