import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { sha256HexSchema } from '../../protocol/common.ts';

/** What the agent keeps between runs; the password only as an argon2id hash, in its own file. */
export const pairingSchema = z.strictObject({
  serverUrl: z.string().max(512),
  adhocId: z.string().max(80),
  agentToken: z.string().max(128),
  technicianName: z.string().max(100),
  /** Set once paired (the 24 hours run from then). */
  pairedAt: z.number().int().nullable(),
  expiresAt: z.number().int().nullable(),
  /**
   * SHA-256 (hex) of the deployment token this pairing came from: the
   * downloaded applet carries that token, so starting the same file again
   * (after a reboot, or a closed window) resumes instead of replacing the pairing.
   */
  deploymentDigest: sha256HexSchema.optional(),
});
export type Pairing = z.infer<typeof pairingSchema>;

export const lockoutSchema = z.strictObject({ failures: z.number().int().nonnegative(), lockedUntil: z.number().int().nonnegative() });
export type Lockout = z.infer<typeof lockoutSchema>;

const FILES = { pairing: 'pairing.json', hash: 'password.argon2id', lockout: 'lockout.json' } as const;

/** The digest a pairing keeps of its deployment token (never the token itself). */
export function deploymentDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * ~/.local/state/relay-rescue/adhoc (XDG_STATE_HOME honoured); on Windows
 * %LOCALAPPDATA%\\Relay Rescue Support, one folder, so that removing it at the
 * end leaves nothing behind.
 */
export function defaultStateDir(env: Record<string, string | undefined> = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'Relay Rescue Support');
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'relay-rescue', 'adhoc');
}

/**
 * The agent's ad hoc state directory (0700) and its files (0600, written
 * atomically). `destroy()` removes every file this store writes and the
 * directory itself; nothing else of the agent's is left behind.
 */
export class PairingStore {
  readonly dir: string;
  #createdDir = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  async init(): Promise<void> {
    if (!existsSync(this.dir)) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      this.#createdDir = true;
    }
    await chmod(this.dir, 0o700);
  }

  async loadPairing(): Promise<Pairing | null> {
    const raw = await this.#read(FILES.pairing);
    if (raw === null) return null;
    const parsed = pairingSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  savePairing(p: Pairing): Promise<void> {
    return this.#write(FILES.pairing, JSON.stringify(p));
  }

  loadHash(): Promise<string | null> {
    return this.#read(FILES.hash);
  }

  saveHash(phc: string): Promise<void> {
    return this.#write(FILES.hash, phc);
  }

  async loadLockout(): Promise<Lockout> {
    const raw = await this.#read(FILES.lockout);
    const parsed = raw === null ? null : lockoutSchema.safeParse(JSON.parse(raw));
    return parsed?.success ? parsed.data : { failures: 0, lockedUntil: 0 };
  }

  saveLockout(l: Lockout): Promise<void> {
    return this.#write(FILES.lockout, JSON.stringify(l));
  }

  /** Deletes the hash, the token, every other file written here, and the directory. */
  async destroy(): Promise<void> {
    if (!existsSync(this.dir)) return;
    for (const name of Object.values(FILES)) await rm(join(this.dir, name), { force: true });
    // Leftover temp files of an interrupted write are ours too.
    for (const name of await readdir(this.dir)) if (name.endsWith('.tmp')) await rm(join(this.dir, name), { force: true });
    try {
      await rmdir(this.dir);
    } catch {
      // Not empty: something that is not ours is inside; leave it.
    }
  }

  get createdDir(): boolean {
    return this.#createdDir;
  }

  async #read(name: string): Promise<string | null> {
    try {
      return await readFile(join(this.dir, name), 'utf8');
    } catch {
      return null;
    }
  }

  async #write(name: string, text: string): Promise<void> {
    const tmp = join(this.dir, `${name}.tmp`);
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, join(this.dir, name));
  }
}
