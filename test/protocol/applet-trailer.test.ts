import { expect } from 'chai';
import {
  TRAILER_FIXED_BYTES,
  TRAILER_MAGIC,
  TRAILER_MAX_PAYLOAD_BYTES,
  decodeTrailer,
  encodeTrailer,
  trailerPayloadBytes,
  type AppletTrailerPayload,
} from '../../protocol/applet-trailer.ts';

const TOKEN = 'tok_abcdefghijklmnopqrstuvwxyz012345';
const payload: AppletTrailerPayload = { v: 1, server: 'https://rescue.example.test', kind: 'session', token: TOKEN, issuedAt: 1_700_000_000_000, expiresAt: null };
const mac = new Uint8Array(32).fill(7);
const program = new Uint8Array(5000).fill(0x90);
const join = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};

describe('protocol/applet-trailer', () => {
  it('round-trips: payload, MAC, big-endian length, magic at the very end', () => {
    const bytes = trailerPayloadBytes(payload);
    const trailer = encodeTrailer(bytes, mac);
    expect(trailer.length).to.equal(bytes.length + TRAILER_FIXED_BYTES);
    expect(new TextDecoder().decode(trailer.slice(-16))).to.equal(TRAILER_MAGIC);
    expect(new DataView(trailer.buffer).getUint32(trailer.length - 20, false)).to.equal(bytes.length);
    const decoded = decodeTrailer(join(program, trailer));
    if (!decoded.found) throw new Error(String(decoded.problem));
    expect(decoded.payload).to.deep.equal(payload);
    expect([...decoded.mac]).to.deep.equal([...mac]);
    expect(decoded.trailerBytes).to.equal(trailer.length);
  });

  it('a plain build (no magic) is no trailer and no problem', () => {
    expect(decodeTrailer(program)).to.deep.equal({ found: false, problem: null });
    expect(decodeTrailer(new Uint8Array(3))).to.deep.equal({ found: false, problem: null });
  });

  it('names what is wrong with a damaged one', () => {
    const good = encodeTrailer(trailerPayloadBytes(payload), mac);
    const badLength = good.slice();
    new DataView(badLength.buffer).setUint32(badLength.length - 20, TRAILER_MAX_PAYLOAD_BYTES + 1, false);
    expect(decodeTrailer(join(program, badLength))).to.deep.include({ found: false, problem: 'the carried settings have a bad length' });
    const longerThanFile = encodeTrailer(trailerPayloadBytes(payload), mac);
    expect(decodeTrailer(longerThanFile.slice(10)).found).to.equal(false);
    const notJson = encodeTrailer(new TextEncoder().encode('{"v":1,'), mac);
    expect(decodeTrailer(join(program, notJson))).to.deep.include({ problem: 'the carried settings are not valid JSON' });
    const wrongShape = encodeTrailer(new TextEncoder().encode(JSON.stringify({ ...payload, server: 'file:///etc' })), mac);
    expect((decodeTrailer(join(program, wrongShape)) as { problem: string }).problem).to.match(/do not match their schema/);
  });

  it('refuses payloads that do not fit the contract', () => {
    expect(() => trailerPayloadBytes({ ...payload, kind: 'none' })).to.throw(/a token goes with kind session or adhoc/);
    expect(() => trailerPayloadBytes({ ...payload, token: null })).to.throw(/a token goes with kind session or adhoc/);
    expect(() => trailerPayloadBytes({ ...payload, server: 'https://rescue.example.test/path' })).to.throw();
    expect(() => trailerPayloadBytes({ ...payload, token: 'short' })).to.throw();
    expect(() => encodeTrailer(trailerPayloadBytes(payload), new Uint8Array(31))).to.throw(/32 bytes/);
    const none = trailerPayloadBytes({ ...payload, kind: 'none', token: null });
    expect(JSON.parse(new TextDecoder().decode(none))).to.include({ kind: 'none', token: null });
  });
});
