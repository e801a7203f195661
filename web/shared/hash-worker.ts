/**
 * The console's file-hashing worker (web/shared/file-digest.ts): the SHA-256
 * of each file sent or received, off the page's thread: gathered and digested
 * by WebCrypto at the end up to 128 MiB, the running pure-TS hash above that.
 */
import { hashWorkerHandler, type HashReply, type HashRequest } from './hash-worker-core.ts';

const scope = globalThis as unknown as { postMessage(m: HashReply): void; addEventListener(t: 'message', h: (e: MessageEvent<HashRequest>) => void): void };
const handle = hashWorkerHandler();
scope.addEventListener('message', (e) => {
  const reply = handle(e.data);
  if (reply) void Promise.resolve(reply).then((r) => scope.postMessage(r));
});
scope.postMessage({ ready: true });
