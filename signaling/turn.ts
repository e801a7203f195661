import type { Duplex } from 'node:stream';

/**
 * The end of an event-loop turn, where the server's replies of that turn
 * leave: first every store commit registered for the turn runs
 * (`beforeWritesLeave`), then the sockets held for the turn
 * (`holdWritesForThisTurn`) are released. So a reply never reaches the wire
 * before the rows it acknowledges are committed, while one commit covers every
 * step of the turn (docs/decisions.md, "Audit writes"); while later turns
 * keep bringing work, the commit waits for them too, up to GROUP_COMMIT_MS
 * (group commit), and their writes with it. If a commit fails,
 * nothing of the turn is acknowledged: the held sockets are cut instead (their
 * clients reconnect and resume), and the failure is reported.
 */

// Held at load time: a test's fake timers must not hold written messages back.
const later = globalThis.setImmediate;
const now = performance.now.bind(performance);
const corked: Duplex[] = [];
const commits: Array<() => void> = [];
const afterCommits: Array<() => void> = [];
let scheduled = false;
/** Whether anything was held or registered since the last end of turn (the loop is not idle yet). */
let busy = false;
/** When the first commit now waiting was registered. */
let commitsSince = 0;

/**
 * How long a commit may wait for later turns while the loop stays busy. A
 * commit covers every turn until a turn comes that brought nothing new (the
 * loop found no more input), or this long after its first step: under load
 * one WAL append covers the steps of several turns instead of one each
 * (group commit); on a quiet server the commit waits one non-blocking turn.
 */
export const GROUP_COMMIT_MS = 2;
let report: (error: unknown) => void = (error) => console.error('could not commit the writes of an event-loop turn:', error);

function schedule(): void {
  busy = true;
  if (scheduled) return;
  scheduled = true;
  later(endOfTurn);
}

function endOfTurn(): void {
  // Group commit: while turns keep bringing steps or writes, the commit (and every held write) waits for them, up to GROUP_COMMIT_MS.
  if (commits.length > 0 && busy && now() - commitsSince < GROUP_COMMIT_MS) {
    busy = false;
    later(endOfTurn);
    return;
  }
  scheduled = false;
  busy = false;
  let failed = false;
  for (const commit of commits.splice(0)) {
    try {
      commit();
    } catch (error) {
      failed = true;
      report(error);
    }
  }
  for (const socket of corked.splice(0)) {
    if (failed) socket.destroy();
    else socket.uncork();
  }
  for (const send of afterCommits.splice(0)) if (!failed) send();
}

/**
 * Holds a socket's writes until this turn of the event loop has run (its I/O
 * callbacks and their promises), so the messages a turn sends to one peer
 * (four relayed candidates, a session.state and the activation after it)
 * leave in one writev rather than one system call each: the writes were the
 * largest share of the server's time under the signaling bench
 * (docs/performance-signaling.md). Order is kept; nothing waits longer than
 * the turn, and nothing leaves before the turn's commit.
 */
export function holdWritesForThisTurn(socket: Duplex | undefined | null): void {
  if (!socket || socket.writableCorked > 0 || socket.destroyed) return;
  socket.cork();
  corked.push(socket);
  schedule();
}

/** Runs `commit` at the end of this turn, before the held writes are released (a throw cuts them). */
export function beforeWritesLeave(commit: () => void): void {
  if (commits.length === 0) commitsSince = now();
  commits.push(commit);
  schedule();
}

/** Runs `send` after this turn's commit (dropped if it fails): for writes that cannot be held (another node's inbox). */
export function afterCommit(send: () => void): void {
  afterCommits.push(send);
  schedule();
}

/** Whether a commit is waiting for the end of this turn (a reply written now must be held for it). */
export function commitPending(): boolean {
  return commits.length > 0;
}

/** Where a failed end-of-turn commit is reported (the server's logger). */
export function reportTurnFailures(to: (error: unknown) => void): void {
  report = to;
}
