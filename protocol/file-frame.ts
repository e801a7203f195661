import { LIMITS } from './limits.ts';

/**
 * A binary file chunk on the files channel:
 *   bytes 0-15  transfer id (the UUID's 16 bytes)
 *   bytes 16-19 chunk index, unsigned big-endian
 *   bytes 20-   payload (at most LIMITS.fileChunkBytes)
 */
export const FILE_FRAME_HEADER_BYTES = 20;

export function uuidToBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error('not a UUID');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Runs once per received frame: a table lookup per byte (the toString/padStart form was 1.3% of the receiving agent's CPU). */
export function bytesToUuid(bytes: Uint8Array): string {
  const h = (i: number): string => HEX[bytes[i] ?? 0]!;
  return (
    h(0) + h(1) + h(2) + h(3) + '-' + h(4) + h(5) + '-' + h(6) + h(7) + '-' + h(8) + h(9) + '-' + h(10) + h(11) + h(12) + h(13) + h(14) + h(15)
  );
}

/**
 * `transferId` as a string, or its 16 bytes (a sender encodes them once per transfer, not per frame).
 * `into`: a buffer to write the frame into (at least header + payload bytes, from its start), reused from frame to
 * frame where the frame is sent and forgotten; the frame returned is a view of it. Without: a new buffer.
 */
export function encodeFileFrame(transferId: string | Uint8Array, chunk: number, payload: Uint8Array, into?: Uint8Array): Uint8Array {
  if (payload.byteLength > LIMITS.fileChunkBytes) throw new Error('chunk payload too large');
  const length = FILE_FRAME_HEADER_BYTES + payload.byteLength;
  if (into && into.byteLength < length) throw new Error('frame buffer too small');
  const frame = into ? into.subarray(0, length) : new Uint8Array(length);
  frame.set(typeof transferId === 'string' ? uuidToBytes(transferId) : transferId.subarray(0, 16), 0);
  new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setUint32(16, chunk, false);
  frame.set(payload, FILE_FRAME_HEADER_BYTES);
  return frame;
}

export type FileFrame = { transferId: string; chunk: number; payload: Uint8Array };

/** Decodes a frame, or returns null when it is malformed (too short or too long). */
export function decodeFileFrame(data: ArrayBuffer | Uint8Array): FileFrame | null {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.byteLength < FILE_FRAME_HEADER_BYTES || bytes.byteLength > FILE_FRAME_HEADER_BYTES + LIMITS.fileChunkBytes) {
    return null;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    transferId: bytesToUuid(bytes.subarray(0, 16)),
    chunk: view.getUint32(16, false),
    payload: bytes.subarray(FILE_FRAME_HEADER_BYTES),
  };
}
