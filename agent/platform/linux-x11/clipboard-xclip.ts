import { spawn, spawnSync } from 'node:child_process';
import type { Clipboard } from '../clipboard.ts';

/**
 * Clipboard text through `xclip` or `xsel` when one is installed (a pure X
 * selection owner would need an event loop of its own; see docs/agent.md).
 * Without either tool the agent reports `clipboard: false` in its hello.
 */
export function xclipClipboard(display: string): Clipboard | null {
  const env = { ...process.env, DISPLAY: display };
  const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
  const tool = has('xclip')
    ? { read: ['xclip', '-selection', 'clipboard', '-o'], write: ['xclip', '-selection', 'clipboard', '-i'] }
    : has('xsel')
      ? { read: ['xsel', '--clipboard', '--output'], write: ['xsel', '--clipboard', '--input'] }
      : null;
  if (!tool) return null;
  const run = (argv: string[], input?: string): Promise<string | null> =>
    new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'ignore'] });
      let out = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.stdout.on('data', (d: Buffer) => {
        if (out.length < 70_000) out += d.toString('utf8');
      });
      child.on('error', () => resolve(null));
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code === 0 ? out : null);
      });
      child.stdin.end(input ?? '');
    });
  return {
    read: () => run(tool.read),
    write: async (text) => void (await run(tool.write, text)),
  };
}
