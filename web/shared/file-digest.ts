/** Files up to this size are hashed in one call to WebCrypto before they are offered. */
export const WEBCRYPTO_DIGEST_MAX_BYTES = 256 * 1024 * 1024;

/**
 * The SHA-256 an outgoing file's offer carries, from WebCrypto
 * (`crypto.subtle.digest`: native code, off the page's main thread) for files
 * up to WEBCRYPTO_DIGEST_MAX_BYTES, so the first chunk leaves after a few
 * milliseconds per MiB instead of after a pure-TS pass over the whole file.
 * Undefined for larger files (or without WebCrypto): the transfer then hashes
 * incrementally in 1 MiB steps, never holding the whole file in memory.
 */
export async function blobSha256(blob: Blob): Promise<string | undefined> {
  if (blob.size > WEBCRYPTO_DIGEST_MAX_BYTES || !globalThis.crypto?.subtle) return undefined;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
