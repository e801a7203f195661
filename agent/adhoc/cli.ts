import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { securityCodeSchema } from '../../protocol/adhoc.ts';
import { tokenSchema } from '../../protocol/index.ts';
import { sanitizeTerminalText } from '../../protocol/sanitize-terminal-text.ts';
import { helpLines, joinTokenArgument, parseMediaOptions, UsageError } from '../config.ts';
import { agentPeerConnection, type AgentMediaConfig } from '../create-session.ts';
import { platformOptionHelp } from '../platform/choose-platform.ts';
import { AdhocAgent, type AgentExit, type StartSupportSession } from './adhoc-agent.ts';
import { defaultStateDir } from './pairing-store.ts';
import { parseServerUrl } from '../server-url.ts';

export const ADHOC_USAGE = `Ad hoc (unattended) support:
  npm run agent -- --server https://rescue.example.com --adhoc <deployment token>   first run: asks for the security code
  npm run agent -- --server https://rescue.example.com --adhoc-resume               later runs (the systemd service)
Options:
  --state-dir DIR        where the pairing is kept (default ~/.local/state/relay-rescue/adhoc)
  --security-code CODE   the code, instead of asking (tests, scripted installs)
  --name NAME            the computer's name shown to the technician (default: the host name)
  --download-dir DIR     where received files go (default ~/Downloads/Relay Rescue)
  --fps N|auto           frames per second at most, 1-60; auto (the default): 60 up to
                         1280x720, fewer on larger screens (30 at 1920x1080)
  --codec auto|vp8|av1   the screen's video codec (default auto: VP8, AV1 while the
                         link is too slow for VP8)
${helpLines(platformOptionHelp(), 25)}
RELAY_RESCUE_ADHOC_TOKEN and RELAY_RESCUE_SECURITY_CODE in the environment stand for
--adhoc and --security-code, and stay out of the process list, which every user can read.
After the technician's password is proven, each connection may view the
screen, use the mouse and keyboard and send files (agreed at pairing).`;

/** The ad hoc agent's validated command line. */
export interface AdhocCliConfig {
  server: string;
  /** The deployment token (first run), or null with `--adhoc-resume`. */
  deploymentToken: string | null;
  stateDir: string;
  securityCode: string | null;
  computerName: string;
  /** Platform, frame rate and downloads; null when the runner has no support session (`agent/adhoc/main.ts`). */
  media: AgentMediaConfig | null;
}

/** What a connection may do once the password is proven: the user agreed to unattended access at pairing. */
export const ADHOC_GRANTS = ['view', 'control', 'files'] as const;

/** Parses and validates; throws UsageError naming the bad option (an empty message asks for the usage text). */
export function loadAdhocConfig(argv: readonly string[], env: NodeJS.ProcessEnv, withMedia: boolean): AdhocCliConfig {
  let values;
  try {
    values = parseArgs({
      args: joinTokenArgument(argv, '--adhoc'),
      strict: true,
      allowPositionals: false,
      options: {
        server: { type: 'string' },
        adhoc: { type: 'string' },
        'adhoc-resume': { type: 'boolean' },
        'state-dir': { type: 'string' },
        'security-code': { type: 'string' },
        name: { type: 'string' },
        display: { type: 'string' },
        'download-dir': { type: 'string' },
        fps: { type: 'string' },
        codec: { type: 'string' },
        capture: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) throw new UsageError('');
  // From the environment, the secrets stay out of the process list (`ps` shows every user the command line).
  if (!values.adhoc && !values['adhoc-resume'] && env.RELAY_RESCUE_ADHOC_TOKEN) values.adhoc = env.RELAY_RESCUE_ADHOC_TOKEN.trim();
  if (values['security-code'] === undefined && env.RELAY_RESCUE_SECURITY_CODE) values['security-code'] = env.RELAY_RESCUE_SECURITY_CODE.trim();
  const server = parseServerUrl(values.server);
  if (Boolean(values.adhoc) === Boolean(values['adhoc-resume'])) throw new UsageError('give exactly one of --adhoc <token> or --adhoc-resume');
  if (values.adhoc && !tokenSchema.safeParse(values.adhoc).success) throw new UsageError('--adhoc: not a valid deployment token (copy it from the link)');
  let securityCode: string | null = null;
  if (values['security-code'] !== undefined) {
    const code = securityCodeSchema.safeParse(values['security-code']);
    if (!code.success) throw new UsageError('--security-code must be the 9-digit code (123-456-789)');
    securityCode = code.data;
  }
  const computerName = (values.name ?? hostname()).slice(0, 100) || 'Computer';
  const media = withMedia ? parseMediaOptions(values, computerName, env) : null;
  return {
    server: server.href.replace(/\/+$/, ''),
    deploymentToken: values.adhoc ?? null,
    stateDir: values['state-dir'] ?? defaultStateDir(),
    securityCode,
    computerName,
    media,
  };
}

/**
 * Runs the ad hoc agent from command-line arguments; resolves with the exit
 * code. `makeSession` builds the agent's support session (capture, input,
 * files) from the validated platform options; agent/main.ts supplies it.
 * Without it the connection stays at data channels (protocol tests).
 * `onExit` learns why the agent stopped (the downloaded applet removes itself
 * once the ad hoc session is over).
 */
export async function runAdhocCli(
  argv: string[],
  makeSession?: (media: AgentMediaConfig) => StartSupportSession,
  onExit?: (exit: AgentExit) => void,
): Promise<number> {
  let config: AdhocCliConfig;
  try {
    config = loadAdhocConfig(argv, process.env, makeSession !== undefined);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) process.stderr.write(`agent: ${sanitizeTerminalText(err.message)}\n\n`);
    process.stderr.write(`${ADHOC_USAGE}\n`);
    return err.message ? 2 : 0;
  }
  const fixedCode = config.securityCode;
  let rl: ReturnType<typeof createInterface> | null = null;
  const agent = new AdhocAgent({
    serverUrl: config.server,
    stateDir: config.stateDir,
    ...(config.deploymentToken ? { deploymentToken: config.deploymentToken } : {}),
    computerName: config.computerName,
    RTCPeerConnection: agentPeerConnection(config.media?.videoCodec ?? 'auto'),
    startSession: makeSession && config.media ? makeSession(config.media) : () => ({ close: () => undefined }),
    async askSecurityCode(technicianName, attempt) {
      if (fixedCode !== null) return fixedCode;
      rl ??= createInterface({ input: process.stdin, output: process.stdout });
      const prompt = attempt === 1 ? `Security code from ${sanitizeTerminalText(technicianName)}: ` : 'Try again: ';
      return (await rl.question(prompt)).trim();
    },
  });
  const stop = (): void => agent.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const exit = await agent.run();
  (rl as ReturnType<typeof createInterface> | null)?.close();
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  onExit?.(exit);
  return exit.code;
}
