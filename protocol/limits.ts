/**
 * Size limits for everything that crosses a wire. Every string and array in a
 * schema is bounded by one of these, so a peer cannot make the other side
 * allocate without bound.
 */
export const LIMITS = {
  /** Largest signaling WebSocket message, in bytes (an SDP with many candidates fits in ~12 KiB). */
  wsMessageBytes: 64 * 1024,
  /** Largest JSON message on a data channel, in bytes. */
  channelMessageBytes: 96 * 1024,
  sdpChars: 32 * 1024,
  candidateChars: 1024,
  requestIdChars: 64,
  nameChars: 100,
  emailChars: 254,
  passwordChars: 256,
  /** Shortest technician account password. */
  passwordMinChars: 10,
  reasonChars: 200,
  chatChars: 4000,
  clipboardChars: 64 * 1024,
  typedTextChars: 1000,
  fileNameChars: 255,
  mimeChars: 100,
  /** Largest single file the product transfers (16 GiB). */
  fileBytes: 16 * 1024 ** 3,
  /** Payload bytes in one file chunk; the frame adds a 20-byte header. */
  fileChunkBytes: 64 * 1024,
  screens: 16,
  sessionsPerList: 200,
  iceServers: 8,
  iceUrlsPerServer: 8,
  urlChars: 512,
  auditDetailChars: 500,
} as const;
