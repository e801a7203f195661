import { expect } from 'chai';
import {
  CUSTOMER_MESSAGE_TYPES,
  LIMITS,
  TECHNICIAN_MESSAGE_TYPES,
  customerMessageSchema,
  parseMessage,
  technicianMessageSchema,
} from '../../protocol/index.ts';

const parseTech = (raw: string) => parseMessage(raw, technicianMessageSchema, LIMITS.wsMessageBytes, TECHNICIAN_MESSAGE_TYPES);

describe('protocol/parse', () => {
  it('accepts a valid message and keeps its fields', () => {
    const result = parseTech(JSON.stringify({ type: 'session.create', id: 'r1', forceRelay: true }));
    expect(result).to.deep.equal({ ok: true, value: { type: 'session.create', id: 'r1', forceRelay: true } });
  });

  it('answers BAD_JSON for text that is not JSON', () => {
    expect(parseTech('{"type":')).to.include({ ok: false, code: 'BAD_JSON' });
  });

  it('answers MESSAGE_TOO_LARGE before parsing an oversized message', () => {
    const raw = JSON.stringify({ type: 'session.list', pad: 'x'.repeat(LIMITS.wsMessageBytes) });
    expect(parseTech(raw)).to.include({ ok: false, code: 'MESSAGE_TOO_LARGE' });
  });

  it('counts bytes, not characters, against the limit', () => {
    // 30,000 three-byte characters are 90,000 bytes: over 64 KiB though under it in characters.
    const raw = JSON.stringify({ type: 'session.list', id: '€'.repeat(30_000) });
    expect(raw.length).to.be.below(LIMITS.wsMessageBytes);
    expect(parseTech(raw)).to.include({ ok: false, code: 'MESSAGE_TOO_LARGE' });
  });

  it('answers UNKNOWN_MESSAGE_TYPE for an unknown or missing type, echoing the request id', () => {
    expect(parseTech(JSON.stringify({ type: 'launch.missiles', id: 'r9' }))).to.include({
      ok: false,
      code: 'UNKNOWN_MESSAGE_TYPE',
      ref: 'r9',
    });
    expect(parseTech(JSON.stringify({ hello: 1 }))).to.include({ ok: false, code: 'UNKNOWN_MESSAGE_TYPE' });
    expect(parseTech('[]')).to.include({ ok: false, code: 'UNKNOWN_MESSAGE_TYPE' });
    expect(parseTech('null')).to.include({ ok: false, code: 'UNKNOWN_MESSAGE_TYPE' });
  });

  it('answers INVALID_MESSAGE naming the bad field', () => {
    const result = parseTech(JSON.stringify({ type: 'session.activate', id: 'r2', sessionId: '../etc' }));
    expect(result.ok).to.equal(false);
    if (!result.ok) {
      expect(result.code).to.equal('INVALID_MESSAGE');
      expect(result.message).to.contain('sessionId');
      expect(result.ref).to.equal('r2');
    }
  });

  it('rejects unknown extra fields (strict objects)', () => {
    expect(parseTech(JSON.stringify({ type: 'session.list', admin: true }))).to.include({ ok: false, code: 'INVALID_MESSAGE' });
  });

  it('keeps technician-only messages away from customers', () => {
    const raw = JSON.stringify({ type: 'session.activate', sessionId: 'abcdefgh12' });
    expect(parseMessage(raw, customerMessageSchema, LIMITS.wsMessageBytes, CUSTOMER_MESSAGE_TYPES)).to.include({
      ok: false,
      code: 'UNKNOWN_MESSAGE_TYPE',
    });
  });
});
