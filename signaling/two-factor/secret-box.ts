import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pooledRandomBytes } from '../random-id.ts';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals small secrets (TOTP seeds) for storage in the database with
 * AES-256-GCM under a key kept outside the database, so a copy of the
 * database (a backup, a leaked file, an SQL read) does not reveal them.
 * The account id is the associated data: a sealed value moved to another
 * account's row does not open. The key file is created on first use.
 */
export class SecretBox {
  private key: Buffer | null = null;

  private constructor(
    private readonly keyFile: string | null,
    private readonly label = 'two-factor',
  ) {}

  /** A key in `file` (base64, mode 0600), created the first time a secret is sealed; `label` names it in errors. */
  static fromKeyFile(file: string, label?: string): SecretBox {
    return new SecretBox(file, label);
  }

  /** A key that lives as long as the process (a `:memory:` database). */
  static ephemeral(): SecretBox {
    const box = new SecretBox(null);
    box.key = randomBytes(KEY_BYTES);
    return box;
  }

  /** Reads the key, creating its file if there is none (at start, rather than in the first request that seals). */
  prepare(): void {
    this.loadKey(true);
  }

  seal(plaintext: string, associated: string): string {
    const key = this.loadKey(true);
    const iv = pooledRandomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(associated, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** Throws if the value was not sealed with this key for `associated`. */
  open(sealed: string, associated: string): string {
    const [version, payload] = sealed.split('.');
    if (version !== VERSION || payload === undefined) throw new Error('not a sealed value');
    const raw = Buffer.from(payload, 'base64url');
    const key = this.loadKey(false);
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(associated, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  private loadKey(create: boolean): Buffer {
    if (this.key) return this.key;
    const file = this.keyFile;
    if (file === null) throw new Error('no key');
    if (!fs.existsSync(file)) {
      if (!create) throw new Error(`the ${this.label} key file ${file} is missing`);
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      try {
        // 'wx': two processes creating it at once cannot overwrite each other's key.
        fs.writeFileSync(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`the ${this.label} key file ${file} does not hold a ${KEY_BYTES}-byte base64 key`);
    this.key = key;
    return key;
  }
}

/** The box the configuration asks for: the key file, or a key in memory for a `:memory:` database. */
export function secretBoxFor(config: { twoFactorKeyFile: string | null }): SecretBox {
  return config.twoFactorKeyFile === null ? SecretBox.ephemeral() : SecretBox.fromKeyFile(config.twoFactorKeyFile);
}
