import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AppletTrailerPayload } from '../protocol/applet-trailer.ts';
import type { Permission } from '../protocol/index.ts';
import { PERMISSIONS, pinCodeSchema, tokenSchema } from '../protocol/index.ts';
import type { AgentMediaConfig } from './create-session.ts';
import type { FrameRate } from './capture/frame-rate.ts';
import { isVideoCodec } from './capture/video-codec.ts';
import { choosePlatform, platformOptionHelp } from './platform/choose-platform.ts';
import { UsageError } from './usage-error.ts';
import { parseServerUrl } from './server-url.ts';

export { UsageError };

/** The agent's validated settings, from its command line and the environment (HOME, USER, and what the platform reads). */
export interface AgentConfig extends AgentMediaConfig {
  server: URL;
  /** The /ws/customer URL derived from `server`. */
  wsUrl: string;
  code: string | null;
  token: string | null;
  /** Granted at start without asking. */
  autoGrant: readonly Permission[];
  /** Never prompt: anything not auto-granted is denied. */
  prompt: boolean;
  /** Open the support window in the default browser (`--no-open`: only print its URL). */
  openWindow: boolean;
  /** `--terminal`: no support window; chat, questions and /send in the terminal only. */
  terminalOnly: boolean;
  /** Started from a download that carries its settings: the file removes itself at the end. */
  fromDownload: boolean;
}

/** Help lines `  --flag VALUE   text`, with the text starting at `column`. */
export function helpLines(options: readonly (readonly [string, string])[], column: number): string {
  return options.map(([flag, text]) => `  ${flag.padEnd(column - 2)}${text}`).join('\n');
}

export const USAGE = `Usage: npm run agent -- --server URL (--code 123456 | --token T) [options]

  --server URL          the Relay Rescue server (https://… or http://…)
  --code CODE           the 6-digit code the technician gave you
  --token T             the session token from the support page (instead of --code);
                        other users of this computer can see a command line, so
                        prefer RELAY_RESCUE_TOKEN or --token-file
  --token-file FILE     read the token from the first line of FILE (- = stdin,
                        /dev/fd/3 = a descriptor: --token-file /dev/fd/3 3<<<"$T")
  --download-dir DIR    where received files go (default ~/Downloads/Relay Rescue;
                        Windows: %USERPROFILE%\\Downloads\\Relay Rescue)
  --fps N|auto          frames per second at most, 1-60; auto (the default): 60 up to
                        1280x720, fewer on larger screens (30 at 1920x1080)
  --codec auto|vp8|av1  the screen's video codec; auto (the default): VP8, and AV1
                        while the link is too slow for VP8 (under ~1 Mbit/s). av1
                        halves what a changing screen costs on a slow link but takes
                        ~1.5x the CPU and ~6 ms more per frame on a fast one
${helpLines(platformOptionHelp(), 24)}
  --auto-grant LIST     grant these without asking: view,control,files,clipboard
  --yes                 grant everything without asking (unattended/test use)
  --no-prompt           never ask; deny whatever is not auto-granted
  --name NAME           your name as the technician sees it
  --no-open             do not open the support window in the browser (its URL is printed)
  --terminal            no support window: chat, Allow? [y/N] and /send in this terminal
  --help                this text

The downloaded support app (relay-rescue-support-linux-x64) carries --server
and the session token; run it with no options, or with --code 123456.`;

/**
 * Parses and validates; throws UsageError with a message that names the bad
 * option. `carried` is what a download brought (agent/sea/carried-settings.ts):
 * its server and token apply unless the command line gives its own.
 */
export function loadAgentConfig(argv: readonly string[], env: NodeJS.ProcessEnv, carried: AppletTrailerPayload | null = null): Readonly<AgentConfig> {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinTokenArgument(argv, '--token'),
      strict: true,
      allowPositionals: false,
      options: {
        server: { type: 'string' },
        code: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        'download-dir': { type: 'string' },
        display: { type: 'string' },
        fps: { type: 'string' },
        codec: { type: 'string' },
        capture: { type: 'string' },
        'auto-grant': { type: 'string' },
        yes: { type: 'boolean' },
        'no-prompt': { type: 'boolean' },
        name: { type: 'string' },
        'no-open': { type: 'boolean' },
        terminal: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (parsed.help) throw new UsageError('');
  if (parsed['token-file'] !== undefined) {
    if (parsed.token) throw new UsageError('give one of --token or --token-file');
    parsed.token = readTokenFile(parsed['token-file']);
  }
  // From the environment, the token stays out of the process list (`ps` shows every user the command line).
  if (!parsed.code && !parsed.token && env.RELAY_RESCUE_TOKEN) parsed.token = env.RELAY_RESCUE_TOKEN.trim();
  if (carried) {
    parsed.server ??= carried.server;
    if (!parsed.code && !parsed.token && carried.kind === 'session' && carried.token) parsed.token = carried.token;
    if (!parsed.code && !parsed.token) throw new UsageError('this download carries no session: run it with --code 123456 (the 6-digit code from your technician)');
  }
  const server = parseServerUrl(parsed.server);
  if (Boolean(parsed.code) === Boolean(parsed.token)) throw new UsageError('give exactly one of --code or --token');
  if (parsed.code && !pinCodeSchema.safeParse(parsed.code).success) throw new UsageError('--code must be exactly 6 digits');
  if (parsed.token && !tokenSchema.safeParse(parsed.token).success) throw new UsageError('--token is not a valid session token');
  const name = (parsed.name ?? env.USER ?? 'Customer').slice(0, 100) || 'Customer';
  const media = parseMediaOptions(parsed, name, env);
  let autoGrant: Permission[] = [];
  if (parsed.yes) autoGrant = [...PERMISSIONS];
  else if (parsed['auto-grant']) {
    for (const p of parsed['auto-grant'].split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!(PERMISSIONS as readonly string[]).includes(p)) throw new UsageError(`--auto-grant: unknown permission "${p}" (view, control, files, clipboard)`);
      autoGrant.push(p as Permission);
    }
  }
  const wsUrl = new URL('/ws/customer', server);
  wsUrl.protocol = server.protocol === 'https:' || server.protocol === 'wss:' ? 'wss:' : 'ws:';
  return Object.freeze({
    server,
    wsUrl: wsUrl.toString(),
    code: parsed.code ?? null,
    token: parsed.token ?? null,
    ...media,
    autoGrant: Object.freeze(autoGrant),
    prompt: !parsed['no-prompt'],
    openWindow: !parsed['no-open'],
    terminalOnly: parsed.terminal === true,
    fromDownload: carried !== null,
  });
}

/** The first line of `file` (`-`: stdin), trimmed; a UsageError naming the file when it cannot be read. */
function readTokenFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`--token-file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const token = (text.split('\n')[0] ?? '').trim();
  if (token === '') throw new UsageError(`--token-file: ${file} holds no token`);
  return token;
}

/**
 * Validates the download folder, the frame rate and the platform's options
 * (choosing the platform), the same for the PIN agent and the ad hoc one
 * (`agent/adhoc/cli.ts`); throws UsageError naming the bad option.
 */
export function parseMediaOptions(
  raw: { display?: string | undefined; 'download-dir'?: string | undefined; fps?: string | undefined; codec?: string | undefined; capture?: string | undefined },
  name: string,
  env: NodeJS.ProcessEnv,
): AgentMediaConfig {
  const fps: FrameRate = raw.fps === undefined || raw.fps === 'auto' ? 'auto' : Number(raw.fps);
  if (fps !== 'auto' && (!Number.isInteger(fps) || fps < 1 || fps > 60)) throw new UsageError('--fps must be auto or a whole number from 1 to 60');
  const videoCodec = raw.codec ?? 'auto';
  if (!isVideoCodec(videoCodec)) throw new UsageError('--codec must be auto, vp8 or av1');
  const platform = choosePlatform({ display: raw.display, capture: raw.capture }, env);
  const downloadDir = resolve(raw['download-dir'] ?? platform.defaultDownloadDir(env));
  return { platform, downloadDir, fps, videoCodec, name };
}

/**
 * A base64url token may start with `-`, which strict parseArgs would take for
 * an option: `<option> <token>` becomes `<option>=<token>` when the next word
 * is a valid token.
 */
export function joinTokenArgument(argv: readonly string[], option: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (argv[i] === option && next !== undefined && next.startsWith('-') && tokenSchema.safeParse(next).success) {
      out.push(`${option}=${next}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}
