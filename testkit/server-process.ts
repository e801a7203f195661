/**
 * The real server as a child process (`node --import tsx signaling/main.ts`,
 * no wrapper that would outlive a SIGKILL), for tests that stop or kill it:
 *
 *   const server = await startServerProcess({ DATA_DIR: dir });
 *   server.process.kill('SIGKILL');
 *   await server.exited;                     // 'SIGKILL'
 *
 * It listens on 127.0.0.1 port 0; `url` is known once it logs `listening`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerProcess {
  process: ChildProcess;
  url: string;
  wsUrl: string;
  /** The exit signal, or the exit status. */
  exited: Promise<NodeJS.Signals | number | null>;
  /** Every JSON log line so far. */
  log: { msg?: string; [field: string]: unknown }[];
}

/** Starts the server with `env` (plus PATH, PORT 0, HOST 127.0.0.1, JSON logs at info); resolves once it listens. */
export function startServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'signaling', 'main.ts')], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const log: ServerProcess['log'] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${String(how)}) before listening: ${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: ServerProcess['log'][number];
      try {
        entry = JSON.parse(line) as ServerProcess['log'][number];
      } catch {
        return; // not a log line
      }
      log.push(entry);
      if (entry.msg === 'listening' && typeof entry.url === 'string') {
        clearTimeout(timer);
        resolve({ process: child, url: entry.url, wsUrl: entry.url.replace(/^http/, 'ws'), exited, log });
      }
    });
  });
}

/**
 * Server processes a test file starts, so that its `after` can kill what is still running:
 *
 *   const servers = serverProcesses();
 *   const server = await servers.start({ DATA_DIR: dir });
 *   after(() => servers.killAll());
 */
export function serverProcesses(): { start: (env: Record<string, string>) => Promise<ServerProcess>; killAll: () => void } {
  const running = new Set<ServerProcess>();
  return {
    start: async (env) => {
      const server = await startServerProcess(env);
      running.add(server);
      void server.exited.then(() => running.delete(server));
      return server;
    },
    killAll: () => {
      for (const server of running) server.process.kill('SIGKILL');
    },
  };
}
