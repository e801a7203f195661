/**
 * The console's file-hashing worker (web/shared/file-digest.ts): the running
 * SHA-256 of each file sent or received, off the page's thread, so the digest
 * is ready when the last chunk is (no whole-file digest after the transfer).
 */
import { hashWorkerHandler, type HashReply, type HashRequest } from './hash-worker-core.ts';

const scope = globalThis as unknown as { postMessage(m: HashReply): void; addEventListener(t: 'message', h: (e: MessageEvent<HashRequest>) => void): void };
const handle = hashWorkerHandler();
scope.addEventListener('message', (e) => {
  const reply = handle(e.data);
  if (reply) scope.postMessage(reply);
});
scope.postMessage({ ready: true });
