import { LIMITS } from './limits.ts';

/**
 * Hand-written checks for the messages a signaling server gets most (a pair's
 * offer, answer and candidates, its create, code and activation): 10 of a
 * pair's 13 incoming messages are `signal`. Each check answers true only for a
 * message its zod schema in protocol/signaling.ts accepts; anything it does not
 * accept goes on to the schema, which decides and words the error. So the
 * accepted set is the schema's, and the fast path is a shortcut to it
 * (test/protocol/fast-parse.test.ts checks both on the same samples). zod was
 * 4-5% of the server's time under the signaling bench
 * (docs/performance-signaling.md).
 *
 * Keep each check in step with its schema: a field added there is an unknown
 * key here, which only sends the message to the schema (slower, still right).
 */
export type FastCheck = (message: Record<string, unknown>) => boolean;

const SESSION_ID = /^[A-Za-z0-9_-]{8,64}$/;
const PIN_CODE = /^\d{6}$/;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
/** `requestId`: an optional string of 1..requestIdChars. */
const isRequestId = (v: unknown): boolean => v === undefined || (typeof v === 'string' && v.length >= 1 && v.length <= LIMITS.requestIdChars);
const isSessionId = (v: unknown): boolean => typeof v === 'string' && SESSION_ID.test(v);

/** Whether every own key of `o` is one of `allowed` (a strict object: an unknown key is refused). */
function onlyKeys(o: Obj, allowed: ReadonlySet<string>): boolean {
  for (const key of Object.keys(o)) if (!allowed.has(key)) return false;
  return true;
}

const SIGNAL_KEYS = new Set(['type', 'sessionId', 'lane', 'data']);
const DESCRIPTION_DATA_KEYS = new Set(['kind', 'description']);
const DESCRIPTION_KEYS = new Set(['type', 'sdp']);
const DESCRIPTION_TYPES = new Set(['offer', 'answer', 'pranswer', 'rollback']);
const CANDIDATE_DATA_KEYS = new Set(['kind', 'candidate']);
const CANDIDATE_KEYS = new Set(['candidate', 'sdpMid', 'sdpMLineIndex', 'usernameFragment']);

/** `iceCandidateSchema` (protocol/ice.ts). */
function isCandidate(c: unknown): boolean {
  if (c === null) return true;
  if (!isObject(c) || !onlyKeys(c, CANDIDATE_KEYS)) return false;
  if (!isString(c.candidate, LIMITS.candidateChars)) return false;
  if (c.sdpMid !== undefined && c.sdpMid !== null && !isString(c.sdpMid, 64)) return false;
  const index = c.sdpMLineIndex;
  if (index !== undefined && index !== null && !(typeof index === 'number' && Number.isInteger(index) && index >= 0 && index <= 255)) return false;
  return c.usernameFragment === undefined || c.usernameFragment === null || isString(c.usernameFragment, 256);
}

/** `signalDataSchema` (protocol/ice.ts). */
function isSignalData(d: unknown): boolean {
  if (!isObject(d)) return false;
  if (d.kind === 'candidate') return onlyKeys(d, CANDIDATE_DATA_KEYS) && 'candidate' in d && isCandidate(d.candidate);
  if (d.kind !== 'description' || !onlyKeys(d, DESCRIPTION_DATA_KEYS)) return false;
  const desc = d.description;
  if (!isObject(desc) || !onlyKeys(desc, DESCRIPTION_KEYS)) return false;
  return typeof desc.type === 'string' && DESCRIPTION_TYPES.has(desc.type) && (desc.sdp === undefined || isString(desc.sdp, LIMITS.sdpChars));
}

/** `signal`, for both sockets. */
export const fastSignal: FastCheck = (m) =>
  onlyKeys(m, SIGNAL_KEYS) && m.type === 'signal' && isSessionId(m.sessionId) && (m.lane === undefined || m.lane === 'colleague') && isSignalData(m.data);

const CREATE_KEYS = new Set(['type', 'id', 'forceRelay']);
/** `session.create`. */
export const fastSessionCreate: FastCheck = (m) =>
  onlyKeys(m, CREATE_KEYS) && m.type === 'session.create' && isRequestId(m.id) && (m.forceRelay === undefined || typeof m.forceRelay === 'boolean');

const ACTIVATE_KEYS = new Set(['type', 'id', 'sessionId']);
/** `session.activate`. */
export const fastSessionActivate: FastCheck = (m) => onlyKeys(m, ACTIVATE_KEYS) && m.type === 'session.activate' && isRequestId(m.id) && isSessionId(m.sessionId);

const CODE_SUBMIT_KEYS = new Set(['type', 'id', 'code', 'client', 'name']);
/** `code.submit`. */
export const fastCodeSubmit: FastCheck = (m) =>
  onlyKeys(m, CODE_SUBMIT_KEYS) &&
  m.type === 'code.submit' &&
  isRequestId(m.id) &&
  typeof m.code === 'string' &&
  PIN_CODE.test(m.code) &&
  (m.client === 'browser' || m.client === 'agent') &&
  (m.name === undefined || isString(m.name, LIMITS.nameChars));

/** The fast checks of the technician socket's messages, by type. */
export const TECHNICIAN_FAST_CHECKS: ReadonlyMap<string, FastCheck> = new Map([
  ['signal', fastSignal],
  ['session.create', fastSessionCreate],
  ['session.activate', fastSessionActivate],
]);

/** The fast checks of the customer socket's messages, by type. */
export const CUSTOMER_FAST_CHECKS: ReadonlyMap<string, FastCheck> = new Map([
  ['signal', fastSignal],
  ['code.submit', fastCodeSubmit],
]);
