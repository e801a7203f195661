import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import wrtc from '@roamhq/wrtc';
import type { RTCPeerConnectionCtor } from '../../rtc/peer-session.ts';
import { AdhocAgent, type StartSupportSession } from './adhoc-agent.ts';
import { defaultStateDir } from './pairing-store.ts';

export const ADHOC_USAGE = `Ad hoc (unattended) support:
  npm run agent -- --server https://rescue.example.com --adhoc <deployment token>   first run: asks for the security code
  npm run agent -- --server https://rescue.example.com --adhoc-resume               later runs (the systemd service)
Options:
  --state-dir DIR        where the pairing is kept (default ~/.local/state/relay-rescue/adhoc)
  --security-code CODE   the code, instead of asking (tests, scripted installs)
  --name NAME            the computer's name shown to the technician (default: the host name)`;

/**
 * Runs the ad hoc agent from command-line arguments; resolves with the exit
 * code. `startSession` is the agent's support session (capture, input, files),
 * supplied by agent/main.ts; without one the connection stays at data channels.
 */
export async function runAdhocCli(argv: string[], startSession?: StartSupportSession): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' },
      adhoc: { type: 'string' },
      'adhoc-resume': { type: 'boolean' },
      'state-dir': { type: 'string' },
      'security-code': { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: false,
  });
  const server = typeof values.server === 'string' ? values.server : undefined;
  const token = typeof values.adhoc === 'string' ? values.adhoc : undefined;
  if (values.help || !server || (!token && !values['adhoc-resume'])) {
    console.log(ADHOC_USAGE);
    return values.help ? 0 : 2;
  }
  const fixedCode = typeof values['security-code'] === 'string' ? values['security-code'] : undefined;
  let rl: ReturnType<typeof createInterface> | null = null;
  const agent = new AdhocAgent({
    serverUrl: server,
    stateDir: typeof values['state-dir'] === 'string' ? values['state-dir'] : defaultStateDir(),
    ...(token ? { deploymentToken: token } : {}),
    computerName: (typeof values.name === 'string' ? values.name : hostname()).slice(0, 100) || 'Computer',
    RTCPeerConnection: (wrtc as unknown as { RTCPeerConnection: RTCPeerConnectionCtor }).RTCPeerConnection,
    startSession: startSession ?? (() => ({ close: () => undefined })),
    async askSecurityCode(technicianName, attempt) {
      if (fixedCode !== undefined) return fixedCode;
      rl ??= createInterface({ input: process.stdin, output: process.stdout });
      const prompt = attempt === 1 ? `Security code from ${technicianName}: ` : 'Try again: ';
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
  return exit.code;
}
