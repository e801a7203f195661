import fs from 'node:fs';

/** The options whose value is a secret: the PIN session token, the ad hoc deployment token, the ad hoc security code. */
export const SECRET_OPTIONS = ['--token', '--adhoc', '--security-code'] as const;

/** `argv` with the value of each secret option (`--opt VALUE` or `--opt=VALUE`) replaced by `***`, and the values taken out. */
export function maskSecretArguments(argv: readonly string[], options: readonly string[] = SECRET_OPTIONS): { masked: string[]; secrets: string[] } {
  const masked: string[] = [];
  const secrets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    if (eq > 0 && options.includes(arg.slice(0, eq))) {
      masked.push(`${arg.slice(0, eq)}=***`);
      secrets.push(arg.slice(eq + 1));
    } else if (options.includes(arg) && i + 1 < argv.length) {
      masked.push(arg, '***');
      secrets.push(argv[i + 1] ?? '');
      i++;
    } else masked.push(arg);
  }
  return { masked, secrets: secrets.filter((secret) => secret !== '') };
}

/**
 * Takes secret option values out of /proc/PID/cmdline, which every local user
 * can read (`ps`). Linux only. Node's `process.title` (libuv) writes over the
 * whole original argument area, so setting it to the masked command line
 * replaces what /proc shows (measured on Node 20.20: the area read back is the
 * new title followed by NULs; `process.argv` is a copy and unaffected). The
 * value was visible from exec until this runs (module loading: a fraction of
 * a second), and stays in the parent shell's or npm's own command line: the
 * environment (RELAY_RESCUE_TOKEN) or --token-file keep it out entirely.
 * Returns whether the command line holds no secret now (true when it never held one).
 */
export function hideSecretArguments(options: readonly string[] = SECRET_OPTIONS, platform: NodeJS.Platform = process.platform): boolean {
  if (maskSecretArguments(process.argv, options).secrets.length === 0) return true;
  if (platform !== 'linux') return false;
  const read = (): string[] | null => {
    try {
      return fs.readFileSync('/proc/self/cmdline', 'utf8').split('\0').filter((part, i, all) => part !== '' || i < all.length - 1);
    } catch {
      return null;
    }
  };
  const cmdline = read();
  if (!cmdline) return false;
  const { masked, secrets } = maskSecretArguments(cmdline, options);
  if (secrets.length === 0) return true;
  process.title = masked.join(' ');
  const after = read()?.join('\0');
  return after !== undefined && secrets.every((secret) => !after.includes(secret));
}
