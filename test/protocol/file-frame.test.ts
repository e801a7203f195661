import { expect } from 'chai';
import { FILE_FRAME_HEADER_BYTES, LIMITS, bytesToUuid, decodeFileFrame, encodeFileFrame, uuidToBytes } from '../../protocol/index.ts';

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('protocol/file-frame', () => {
  it('round-trips the transfer id, chunk index and payload', () => {
    const payload = new Uint8Array([1, 2, 3, 250]);
    const frame = encodeFileFrame(UUID, 0xfffffffe, payload);
    expect(frame.byteLength).to.equal(FILE_FRAME_HEADER_BYTES + 4);
    const decoded = decodeFileFrame(frame.buffer as ArrayBuffer);
    expect(decoded?.transferId).to.equal(UUID);
    expect(decoded?.chunk).to.equal(0xfffffffe);
    expect(Array.from(decoded?.payload ?? [])).to.deep.equal([1, 2, 3, 250]);
  });

  it('decodes a frame that is a view into a larger buffer', () => {
    const frame = encodeFileFrame(UUID, 7, new Uint8Array(10).fill(9));
    const big = new Uint8Array(frame.byteLength + 8);
    big.set(frame, 4);
    const decoded = decodeFileFrame(big.subarray(4, 4 + frame.byteLength));
    expect(decoded?.chunk).to.equal(7);
    expect(decoded?.payload.byteLength).to.equal(10);
  });

  it('encodes into a given buffer (reused by a sender): a view of header + payload, the same bytes as a new frame', () => {
    const into = new Uint8Array(FILE_FRAME_HEADER_BYTES + 16).fill(0xee);
    const frame = encodeFileFrame(UUID, 3, new Uint8Array([5, 6, 7]), into);
    expect(frame.buffer).to.equal(into.buffer);
    expect(Array.from(frame)).to.deep.equal(Array.from(encodeFileFrame(UUID, 3, new Uint8Array([5, 6, 7]))));
    expect(decodeFileFrame(frame)?.chunk).to.equal(3);
    expect(() => encodeFileFrame(UUID, 0, new Uint8Array(17), into)).to.throw('too small');
  });

  it('returns null for a frame too short or too long, never throws', () => {
    expect(decodeFileFrame(new Uint8Array(FILE_FRAME_HEADER_BYTES - 1))).to.equal(null);
    expect(decodeFileFrame(new Uint8Array(FILE_FRAME_HEADER_BYTES + LIMITS.fileChunkBytes + 1))).to.equal(null);
    expect(decodeFileFrame(new Uint8Array(FILE_FRAME_HEADER_BYTES))?.payload.byteLength).to.equal(0);
  });

  it('refuses to encode an oversized payload or a malformed UUID', () => {
    expect(() => encodeFileFrame(UUID, 0, new Uint8Array(LIMITS.fileChunkBytes + 1))).to.throw('too large');
    expect(() => uuidToBytes('nope')).to.throw('UUID');
  });

  it('maps UUID text to 16 bytes and back', () => {
    expect(bytesToUuid(uuidToBytes(UUID))).to.equal(UUID);
  });
});
