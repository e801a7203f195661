import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from '../db.ts';

/** How often the worker copies the WAL back into the database file. */
export const CHECKPOINT_EVERY_MS = 250;
/**
 * The main connection's own checkpoint, kept as a backstop: past this many WAL
 * pages (64 MiB of 4 KiB pages) a commit checkpoints on the event loop as
 * SQLite's default does at 1000, should the worker fall behind or fail.
 */
export const BACKSTOP_PAGES = 16_384;

// A CommonJS script (an eval'd worker has `require`): no TypeScript loader needed in the thread.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.lib);
const db = new Database(workerData.file, { fileMustExist: true });
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage({ error: String(error && error.message || error) }); }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  db.close();
  parentPort.close();
});
`;

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection
 * that commits the 1000th WAL page copies the WAL back into the database file,
 * with two fsyncs (synchronous=NORMAL syncs at checkpoints), inside that
 * commit: two thirds of the commit's time, and the commit was the server's
 * largest own cost under the signaling bench (docs/performance-signaling.md).
 * A worker thread with its own connection runs PASSIVE checkpoints (they never
 * block the writer) every CHECKPOINT_EVERY_MS instead. Durability is the
 * same: a commit is in the WAL before its reply leaves, whoever checkpoints.
 * Returns the stop function (the last checkpoint, then the thread ends).
 */
export function startWalCheckpointer(db: Db, onError: (message: string) => void = () => {}): () => Promise<void> {
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const lib = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { lib, file: db.name, everyMs: CHECKPOINT_EVERY_MS } });
  worker.unref();
  let failed = false;
  const fallBack = (message: string): void => {
    if (failed) return;
    failed = true;
    // The worker is gone or failing: checkpoint on the event loop again, as SQLite does by default.
    if (db.open) db.pragma('wal_autocheckpoint = 1000');
    onError(message);
  };
  worker.on('message', (m: { error?: string }) => {
    if (m.error !== undefined) fallBack(m.error);
  });
  worker.on('error', (error) => fallBack(error.message));
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      if (!stopping) fallBack(`the checkpoint thread exited (${code})`);
      resolve();
    }),
  );
  return async () => {
    if (stopping) return exited;
    stopping = true;
    worker.postMessage('stop');
    const timer = setTimeout(() => void worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  };
}
