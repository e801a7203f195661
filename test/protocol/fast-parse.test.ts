import { expect } from 'chai';
import {
  CUSTOMER_FAST_CHECKS,
  CUSTOMER_MESSAGE_TYPES,
  LIMITS,
  TECHNICIAN_FAST_CHECKS,
  TECHNICIAN_MESSAGE_TYPES,
  customerMessageSchema,
  parseMessage,
  technicianMessageSchema,
} from '../../protocol/index.ts';

const SESSION = 'abcdEFGH_-12345678';
const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };

/** Messages the schemas accept, of the types with a fast check: the fast check must take each of them. */
const VALID: Record<string, unknown[]> = {
  signal: [
    { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: { type: 'answer', sdp: 'x'.repeat(LIMITS.sdpChars) } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: { type: 'rollback' } } },
    { type: 'signal', sessionId: SESSION, lane: 'colleague', data: { kind: 'description', description: { type: 'pranswer', sdp: '' } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: null } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: '' } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: 'c', sdpMid: null, sdpMLineIndex: null, usernameFragment: null } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: 'c'.repeat(LIMITS.candidateChars), sdpMLineIndex: 255, usernameFragment: 'u'.repeat(256) } } },
    { type: 'signal', sessionId: 'a'.repeat(64), data: { kind: 'candidate', candidate: null } },
  ],
  'session.create': [{ type: 'session.create' }, { type: 'session.create', id: 'c1' }, { type: 'session.create', id: 'x'.repeat(64), forceRelay: false }],
  'session.activate': [{ type: 'session.activate', sessionId: SESSION }, { type: 'session.activate', id: 'a1', sessionId: 'ABCDEFGH' }],
  'code.submit': [
    { type: 'code.submit', code: '012345', client: 'agent' },
    { type: 'code.submit', id: 's', code: '999999', client: 'browser', name: '' },
    { type: 'code.submit', id: 's', code: '000000', client: 'browser', name: 'n'.repeat(LIMITS.nameChars) },
  ],
};

/** Near misses the schemas refuse: the fast check must not take any of them. */
const INVALID: Record<string, unknown[]> = {
  signal: [
    { type: 'signal', sessionId: SESSION },
    { type: 'signal', sessionId: 'short', data: { kind: 'candidate', candidate: null } },
    { type: 'signal', sessionId: `${SESSION}\n`, data: { kind: 'candidate', candidate: null } },
    { type: 'signal', sessionId: 'a'.repeat(65), data: { kind: 'candidate', candidate: null } },
    { type: 'signal', sessionId: '../etc/passwd', data: { kind: 'candidate', candidate: null } },
    { type: 'signal', sessionId: 12345678, data: { kind: 'candidate', candidate: null } },
    { type: 'signal', sessionId: SESSION, lane: 'customer', data: { kind: 'candidate', candidate: null } },
    { type: 'signal', sessionId: SESSION, lane: null, data: { kind: 'candidate', candidate: null } },
    { type: 'signal', sessionId: SESSION, extra: 1, data: { kind: 'candidate', candidate: null } },
    { type: 'signal', sessionId: SESSION, data: null },
    { type: 'signal', sessionId: SESSION, data: [] },
    { type: 'signal', sessionId: SESSION, data: { kind: 'telepathy' } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate' } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: null, extra: true } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: {} } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: [] } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: 'candidate:1' } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: 'c'.repeat(LIMITS.candidateChars + 1) } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: 'c', sdpMid: 0 } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: 'c', sdpMid: 'm'.repeat(65) } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: 256 } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: -1 } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: 0.5 } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: '0' } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: 'c', usernameFragment: 'u'.repeat(257) } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'candidate', candidate: { candidate: 'c', foundation: '1' } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'description' } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: null } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: { type: 'hello', sdp: 'v=0' } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: { sdp: 'v=0' } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: { type: 'offer', sdp: 5 } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: { type: 'offer', sdp: 'x'.repeat(LIMITS.sdpChars + 1) } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: { type: 'offer', sdp: 'v=0', extra: 1 } } },
    { type: 'signal', sessionId: SESSION, data: { kind: 'description', description: { type: 'offer' }, candidate: null } },
  ],
  'session.create': [
    { type: 'session.create', id: '' },
    { type: 'session.create', id: 'x'.repeat(65) },
    { type: 'session.create', id: 7 },
    { type: 'session.create', forceRelay: 'yes' },
    { type: 'session.create', forceRelay: null },
    { type: 'session.create', admin: true },
  ],
  'session.activate': [
    { type: 'session.activate' },
    { type: 'session.activate', id: 'a', sessionId: 'short' },
    { type: 'session.activate', id: '', sessionId: SESSION },
    { type: 'session.activate', sessionId: SESSION, extra: 1 },
  ],
  'code.submit': [
    { type: 'code.submit', code: '12345', client: 'agent' },
    { type: 'code.submit', code: '1234567', client: 'agent' },
    { type: 'code.submit', code: '12345a', client: 'agent' },
    { type: 'code.submit', code: '123456\n', client: 'agent' },
    { type: 'code.submit', code: 123456, client: 'agent' },
    { type: 'code.submit', code: '123456' },
    { type: 'code.submit', code: '123456', client: 'robot' },
    { type: 'code.submit', code: '123456', client: 'agent', name: 'n'.repeat(LIMITS.nameChars + 1) },
    { type: 'code.submit', code: '123456', client: 'agent', name: null },
    { type: 'code.submit', code: '123456', client: 'agent', token: 'x' },
  ],
};

const SOCKETS = [
  { name: 'technician', schema: technicianMessageSchema, types: TECHNICIAN_MESSAGE_TYPES, fast: TECHNICIAN_FAST_CHECKS },
  { name: 'customer', schema: customerMessageSchema, types: CUSTOMER_MESSAGE_TYPES, fast: CUSTOMER_FAST_CHECKS },
] as const;

describe('protocol/fast-parse', () => {
  for (const socket of SOCKETS) {
    for (const [type, check] of socket.fast) {
      it(`${socket.name} ${type}: the fast check takes every valid sample, and the schema accepts each one too`, () => {
        const samples = VALID[type] ?? [];
        expect(samples.length).to.be.above(0);
        for (const sample of samples) {
          expect(socket.schema.safeParse(sample).success, JSON.stringify(sample).slice(0, 200)).to.equal(true);
          expect(check(sample as Record<string, unknown>), JSON.stringify(sample).slice(0, 200)).to.equal(true);
        }
      });

      it(`${socket.name} ${type}: the fast check refuses every invalid sample, which the schema refuses too`, () => {
        const samples = INVALID[type] ?? [];
        expect(samples.length).to.be.above(0);
        for (const sample of samples) {
          expect(socket.schema.safeParse(sample).success, JSON.stringify(sample).slice(0, 200)).to.equal(false);
          expect(check(sample as Record<string, unknown>), JSON.stringify(sample).slice(0, 200)).to.equal(false);
        }
      });
    }

    it(`${socket.name}: parseMessage answers the same with and without the fast checks`, () => {
      const all = [...Object.values(VALID).flat(), ...Object.values(INVALID).flat(), { type: 'session.list' }, { type: 'nope' }];
      for (const sample of all) {
        const raw = JSON.stringify(sample);
        const slow = parseMessage(raw, socket.schema, LIMITS.wsMessageBytes, socket.types);
        const fast = parseMessage(raw, socket.schema, LIMITS.wsMessageBytes, socket.types, socket.fast);
        expect(fast, raw.slice(0, 200)).to.deep.equal(slow);
      }
    });
  }

  it('refuses an own __proto__ key, as the strict schema does', () => {
    const raw = `{"type":"signal","sessionId":"${SESSION}","data":{"kind":"candidate","candidate":null},"__proto__":{"x":1}}`;
    const sample = JSON.parse(raw) as Record<string, unknown>;
    expect(technicianMessageSchema.safeParse(sample).success).to.equal(false);
    expect(TECHNICIAN_FAST_CHECKS.get('signal')?.(sample)).to.equal(false);
  });
});
