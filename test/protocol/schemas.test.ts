import { expect } from 'chai';
import {
  LIMITS,
  controlMessageSchema,
  customerMessageSchema,
  fileMessageSchema,
  inputMessageSchema,
  pointerMessageSchema,
  serverMessageSchema,
  technicianMessageSchema,
  channelInit,
  CHANNELS,
} from '../../protocol/index.ts';
import type { z } from 'zod';

const SESSION = 'sess_0123456789';
const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Each schema with fixtures it must accept and must reject. */
const fixtures: Array<{ name: string; schema: z.ZodType; accept: unknown[]; reject: unknown[] }> = [
  {
    name: 'technician messages',
    schema: technicianMessageSchema,
    accept: [
      { type: 'session.create' },
      { type: 'session.activate', id: 'a', sessionId: SESSION },
      { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: { type: 'offer', sdp: 'v=0' } } },
      { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: null } },
      {
        type: 'signal',
        sessionId: SESSION,
        data: { kind: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
      },
      { type: 'session.event', sessionId: SESSION, event: 'permission.requested', detail: 'control' },
    ],
    reject: [
      { type: 'session.activate' },
      { type: 'session.activate', sessionId: 'short' },
      { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: { type: 'offer', sdp: 'x'.repeat(LIMITS.sdpChars + 1) } } },
      { type: 'signal', sessionId: SESSION, data: { kind: 'telepathy' } },
      { type: 'session.event', sessionId: SESSION, event: 'session.created', detail: '' },
      { type: 'session.end', sessionId: SESSION, reason: 'r'.repeat(LIMITS.reasonChars + 1) },
    ],
  },
  {
    name: 'customer messages',
    schema: customerMessageSchema,
    accept: [
      { type: 'code.submit', code: '012345', client: 'browser' },
      { type: 'customer.resume', token: 'A'.repeat(43), client: 'agent' },
    ],
    reject: [
      { type: 'code.submit', code: '12345', client: 'browser' },
      { type: 'code.submit', code: '1234567', client: 'browser' },
      { type: 'code.submit', code: '12345a', client: 'browser' },
      { type: 'code.submit', code: '123456', client: 'toaster' },
      { type: 'customer.resume', token: 'short', client: 'agent' },
    ],
  },
  {
    name: 'server messages',
    schema: serverMessageSchema,
    accept: [
      { type: 'error', code: 'CODE_INVALID', message: 'nope', ref: 'x' },
      { type: 'session.state', sessionId: SESSION, state: 'closed', reason: 'code_expired' },
      {
        type: 'session.activated',
        sessionId: SESSION,
        role: 'customer',
        polite: true,
        peerName: 'Ada',
        ice: { iceServers: [{ urls: ['turn:127.0.0.1:3478'], username: '1:x', credential: 'y' }], iceTransportPolicy: 'relay', turnConfigured: true },
      },
    ],
    reject: [
      { type: 'session.state', sessionId: SESSION, state: 'exploded', reason: 'created' },
      {
        type: 'session.activated',
        sessionId: SESSION,
        role: 'customer',
        polite: true,
        peerName: 'Ada',
        ice: { iceServers: [{ urls: ['http://evil'] }], iceTransportPolicy: 'all', turnConfigured: false },
      },
    ],
  },
  {
    name: 'control channel',
    schema: controlMessageSchema,
    accept: [
      { type: 'permission.request', permission: 'control' },
      { type: 'permission.state', permissions: { view: 'granted', control: 'denied', files: 'asked', clipboard: 'not_asked' } },
      { type: 'screens', screens: [{ id: '0', name: 'HDMI-1', x: 0, y: 0, width: 1920, height: 1080, primary: true }], selected: '0' },
      { type: 'clipboard', text: '' },
      { type: 'error', code: 'INVALID_MESSAGE', message: 'input: bad key' },
      { type: 'auth.result', ok: false, code: 'ADHOC_AUTH_FAILED' },
    ],
    reject: [
      { type: 'permission.request', permission: 'root' },
      { type: 'error', code: 'NOT_IN_THE_CATALOGUE', message: 'x' },
      { type: 'auth.result', ok: false, code: 'WRONG' },
      { type: 'permission.state', permissions: { view: 'granted' } },
      { type: 'clipboard', text: 'x'.repeat(LIMITS.clipboardChars + 1) },
      { type: 'screens', screens: Array.from({ length: LIMITS.screens + 1 }, (_, i) => ({ id: String(i), name: '', x: 0, y: 0, width: 1, height: 1, primary: false })), selected: null },
    ],
  },
  {
    name: 'pointer channel',
    schema: pointerMessageSchema,
    accept: [{ type: 'pointer.move', x: 0, y: 1 }, { type: 'pointer.move', x: 0.5, y: 0.25 }],
    reject: [{ type: 'pointer.move', x: -0.1, y: 0 }, { type: 'pointer.move', x: 1.1, y: 0 }, { type: 'pointer.move', x: 'NaN', y: 0 }],
  },
  {
    name: 'input channel',
    schema: inputMessageSchema,
    accept: [
      { type: 'pointer.button', button: 'left', down: true, x: 0.1, y: 0.2 },
      { type: 'wheel', dx: 0, dy: -3, x: 0.5, y: 0.5 },
      { type: 'key', code: 'ShiftLeft', key: 'Shift', down: true },
      { type: 'text', text: 'hello' },
      { type: 'input.release_all' },
    ],
    reject: [
      { type: 'pointer.button', button: 'fourth', down: true, x: 0, y: 0 },
      { type: 'wheel', dx: 0, dy: 1000, x: 0.5, y: 0.5 },
      { type: 'key', code: 'Shift Left; rm -rf', key: 'x', down: true },
      { type: 'text', text: '' },
      { type: 'text', text: 'x'.repeat(LIMITS.typedTextChars + 1) },
    ],
  },
  {
    name: 'files channel',
    schema: fileMessageSchema,
    accept: [
      { type: 'file.offer', transferId: UUID, name: 'report.pdf', size: 10, sha256: HASH, chunkSize: 65536 },
      { type: 'file.offer', transferId: UUID, name: 'streamed.bin', size: 10, chunkSize: 65536 },
      { type: 'file.accept', transferId: UUID, fromChunk: 3 },
      { type: 'file.digest', transferId: UUID, sha256: HASH },
      { type: 'file.complete', transferId: UUID, ok: true, sha256: HASH },
      { type: 'file.reject', transferId: UUID, code: 'CANCELLED', message: 'cancelled by the customer' },
    ],
    reject: [
      { type: 'file.offer', transferId: UUID, name: 'x', size: LIMITS.fileBytes + 1, sha256: HASH, chunkSize: 65536 },
      { type: 'file.offer', transferId: UUID, name: 'x', size: 1, sha256: HASH.toUpperCase(), chunkSize: 65536 },
      { type: 'file.offer', transferId: UUID, name: 'x', size: 1, sha256: HASH, chunkSize: 10_000_000 },
      { type: 'file.digest', transferId: UUID },
      { type: 'file.digest', transferId: UUID, sha256: 'not hex' },
      { type: 'file.accept', transferId: 'not-a-uuid', fromChunk: 0 },
      { type: 'file.accept', transferId: UUID, fromChunk: -1 },
      { type: 'file.reject', transferId: UUID, code: 'X\x1b[2J', message: 'a code outside the catalogue' },
    ],
  },
];

describe('protocol schemas', () => {
  for (const { name, schema, accept, reject } of fixtures) {
    describe(name, () => {
      accept.forEach((value, i) => {
        it(`accepts fixture ${i}: ${JSON.stringify(value).slice(0, 70)}`, () => {
          const result = schema.safeParse(value);
          expect(result.success, JSON.stringify(result.error?.issues)).to.equal(true);
        });
      });
      reject.forEach((value, i) => {
        it(`rejects fixture ${i}: ${JSON.stringify(value).slice(0, 70)}`, () => {
          expect(schema.safeParse(value).success).to.equal(false);
        });
      });
    });
  }

  it('gives every data channel a distinct pre-negotiated id, with pointer moves unordered and unreliable', () => {
    const ids = Object.values(CHANNELS).map((c) => c.id);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(channelInit('pointer')).to.deep.equal({ negotiated: true, id: 2, ordered: false, maxRetransmits: 0 });
    expect(channelInit('files')).to.deep.equal({ negotiated: true, id: 4, ordered: true });
  });
});
