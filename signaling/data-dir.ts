import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from './config.ts';

/**
 * Makes the database's folder (DATA_DIR unless DATABASE_PATH points
 * elsewhere) private before anything is written to it: created 0700 when
 * missing; an existing one that group or others may write to is refused (a
 * local user could swap the database for one with their own account in it).
 * Returns warnings worth logging (an existing folder others may read).
 */
export function prepareDataDir(config: Pick<Readonly<Config>, 'databasePath' | 'dataDir'>): string[] {
  if (config.databasePath === ':memory:') return [];
  const dir = path.dirname(config.databasePath);
  const variable = dir === config.dataDir ? 'DATA_DIR' : 'DATABASE_PATH';
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    return [];
  }
  if (!stat.isDirectory()) throw new ConfigError(variable, `${dir} is not a folder`);
  const mode = stat.mode & 0o777;
  const octal = mode.toString(8).padStart(3, '0');
  if ((mode & 0o022) !== 0) {
    throw new ConfigError(
      variable,
      `${dir} is writable by other users (mode ${octal}), who could replace the database; make it private with: chmod 700 ${JSON.stringify(dir)}`,
    );
  }
  if ((mode & 0o077) !== 0) {
    return [`${dir} can be listed by other users (mode ${octal}); the database files in it are 0600, but chmod 700 keeps even their names private`];
  }
  return [];
}
