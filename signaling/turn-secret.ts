import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the TURN shared secret comes from: TURN_SECRET (fixed for the life of
 * the process) or TURN_SECRET_FILE (re-read when it changes, so a self-hoster
 * can rotate the secret without restarting the server).
 *
 * The file holds one secret per line. The FIRST line is the secret new
 * credentials are minted with; further lines are older secrets that coturn
 * still accepts during a rotation (turn/start.sh renders one
 * `static-auth-secret` per line; coturn accepts any of them). The server itself
 * only ever mints with the first.
 */
export interface TurnSecretSource {
  /** The file the secret is read from, or null for TURN_SECRET. */
  readonly file: string | null;
  /** The secret to mint with now. A file is stat'ed on every call and re-read if it changed. */
  current(): string;
  /**
   * Starts watching the file (fs.watch on its folder) and reports through
   * `report` (re-reads, and files that cannot be used). Returns the stop function.
   */
  watch(report: TurnSecretReport): () => void;
}

export type TurnSecretReport = (level: 'info' | 'warn', message: string) => void;

/** Thrown at start-up for a file that cannot be used; config.ts turns it into a ConfigError naming TURN_SECRET_FILE. */
export class TurnSecretFileError extends Error {}

/** How long after a change event the file is read (a rewrite in two steps settles first). */
const SETTLE_MS = 200;

/** Minimum secret length, the same rule as turn/start.sh. */
export const TURN_SECRET_MIN_LENGTH = 16;

export function fixedTurnSecret(secret: string): TurnSecretSource {
  return { file: null, current: () => secret, watch: () => () => {} };
}

type Read = { ok: true; secrets: string[]; stamp: string } | { ok: false; problem: string; stamp: string };

/**
 * File times tick at the kernel's clock granularity (a few ms), so a rewrite
 * to the same length right after a read can leave the stat unchanged (git's
 * "racily clean" problem). A file changed this recently is re-read every time.
 */
const RACY_MS = 2000;

function stampOf(stat: fs.Stats): string {
  if (Math.abs(Date.now() - Math.max(stat.mtimeMs, stat.ctimeMs)) < RACY_MS) return 'recent';
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.mode}`;
}

/** Reads and checks the file once; never throws. */
function readSecretFile(file: string): Read {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    return { ok: false, problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, stamp: 'missing' };
  }
  const stamp = stampOf(stat);
  if (!stat.isFile()) return { ok: false, problem: 'is not a regular file', stamp };
  const mode = stat.mode & 0o777;
  if ((mode & 0o044) !== 0) {
    const octal = mode.toString(8).padStart(3, '0');
    return {
      ok: false,
      problem: `is readable by other users (mode ${octal}), who could mint TURN credentials with it; make it private with: chmod 600 ${JSON.stringify(file)}`,
      stamp,
    };
  }
  if (stat.size > 4096) return { ok: false, problem: `is ${stat.size} bytes; a secret file holds a few lines of at most a few hundred characters`, stamp };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, stamp };
  }
  const secrets = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (secrets.length === 0) return { ok: false, problem: 'is empty (write the secret on its first line: openssl rand -hex 32)', stamp };
  for (const [index, secret] of secrets.entries()) {
    const where = `line ${index + 1}`;
    if (!/^[\x21-\x7e]+$/.test(secret)) return { ok: false, problem: `${where} holds spaces or characters other than printable ASCII`, stamp };
    if (secret.length < TURN_SECRET_MIN_LENGTH) {
      return { ok: false, problem: `${where} is too short (${secret.length} characters; use at least ${TURN_SECRET_MIN_LENGTH}, e.g. openssl rand -hex 32)`, stamp };
    }
    if (secret.startsWith('CHANGE_ME')) return { ok: false, problem: `${where} is still the template placeholder`, stamp };
  }
  return { ok: true, secrets, stamp };
}

/**
 * TURN_SECRET_FILE. Read and checked now (throws TurnSecretFileError). Later,
 * a change is noticed two ways: fs.watch on the folder (which also sees an
 * editor's rename and Kubernetes' `..data` symlink swap), and a stat on every
 * `current()`, so a missed or coalesced event can never keep a stale secret.
 * A rewritten file that is empty, unreadable, too open or malformed keeps the
 * last good secret and is reported once per distinct problem.
 */
export class TurnSecretFile implements TurnSecretSource {
  readonly file: string;
  private secret: string;
  private stamp: string;
  private lastProblem: string | null = null;
  private report: TurnSecretReport = () => {};

  constructor(file: string) {
    this.file = path.resolve(file);
    const read = readSecretFile(this.file);
    if (!read.ok) throw new TurnSecretFileError(`${this.file} ${read.problem}`);
    this.secret = read.secrets[0]!;
    this.stamp = read.stamp;
  }

  current(): string {
    this.refresh();
    return this.secret;
  }

  watch(report: TurnSecretReport): () => void {
    this.report = report;
    let watcher: fs.FSWatcher | null = null;
    let settle: ReturnType<typeof setTimeout> | null = null;
    // A plain `echo new > file` is a truncate then a write: wait for it to settle before reading.
    const soon = (): void => {
      if (settle) clearTimeout(settle);
      settle = setTimeout(() => {
        settle = null;
        this.refresh();
      }, SETTLE_MS);
      settle.unref();
    };
    try {
      watcher = fs.watch(path.dirname(this.file), { persistent: false }, soon);
      watcher.on('error', (error) => {
        report('warn', `TURN_SECRET_FILE: stopped watching ${path.dirname(this.file)} (${String(error)}); a changed secret is still picked up when credentials are minted`);
        watcher?.close();
      });
    } catch (error) {
      report('warn', `TURN_SECRET_FILE: cannot watch ${path.dirname(this.file)} (${String(error)}); a changed secret is still picked up when credentials are minted`);
    }
    return () => {
      if (settle) clearTimeout(settle);
      watcher?.close();
      watcher = null;
      this.report = () => {};
    };
  }

  /** Re-reads the file if its stat changed since the last read. */
  private refresh(): void {
    let stamp: string;
    try {
      stamp = stampOf(fs.statSync(this.file));
    } catch {
      stamp = 'missing';
    }
    if (stamp === this.stamp && stamp !== 'recent') return;
    const read = readSecretFile(this.file);
    this.stamp = read.stamp;
    if (!read.ok) {
      if (read.problem !== this.lastProblem) {
        this.lastProblem = read.problem;
        this.report('warn', `TURN_SECRET_FILE: ${this.file} ${read.problem}; still minting TURN credentials with the last good secret`);
      }
      return;
    }
    this.lastProblem = null;
    const next = read.secrets[0]!;
    if (next === this.secret) return;
    this.secret = next;
    const also = read.secrets.length > 1 ? ` (${read.secrets.length - 1} older secret(s) below it are for coturn only)` : '';
    this.report('info', `TURN_SECRET_FILE: ${this.file} changed; new TURN credentials are minted with the secret on its first line${also}`);
  }
}
