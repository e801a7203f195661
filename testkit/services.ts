/**
 * A real redis-server for the scale-out tests and the cluster bench, started on
 * a free loopback port in a temporary folder and stopped after it. Debian's
 * packages (scripts/install-system.sh) provide the binaries.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
}

export async function stopChild(child: ChildProcess | null | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** redis-server on 127.0.0.1:<free port>, no persistence, in its own temporary folder. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-redis-'));
  port ??= await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port, child, 'redis-server');
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop: async () => {
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PostgresServer {
  /** postgres://relay:<password>@127.0.0.1:<port>/relay */
  url: string;
  port: number;
  user: string;
  password: string;
  dir: string;
  /** A URL for another database on this server (created by `createDatabase`). */
  urlFor(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** Stops the server but keeps its data (an outage); `resume` starts it again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** Debian keeps PostgreSQL's programs in /usr/lib/postgresql/<version>/bin, off PATH; the newest wins. */
export function postgresBin(program: string): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const bin = path.join(root, version, 'bin', program);
    if (fs.existsSync(bin)) return bin;
  }
  throw new Error(`PostgreSQL's ${program} is not installed (scripts/install-system.sh installs Debian's postgresql)`);
}

/** The unprivileged user PostgreSQL runs as when the tests run as root (it refuses to run as root). */
const PG_USER = 'nobody';

function asPostgresUser(command: string, args: string[]): { command: string; args: string[] } {
  return process.getuid?.() === 0 ? { command: 'runuser', args: ['-u', PG_USER, '--', command, ...args] } : { command, args };
}

function run(command: string, args: string[]): Promise<void> {
  const wrapped = asPostgresUser(command, args);
  return new Promise((resolve, reject) => {
    const child = spawn(wrapped.command, wrapped.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${String(code)}: ${stderr.trim()}`))));
  });
}

/**
 * A real PostgreSQL on 127.0.0.1:<free port> with password (SCRAM) logins, its
 * data folder and unix socket in a temporary folder; run as `nobody` when the
 * tests run as root. The `relay` database and user exist; `stop()` shuts it
 * down fast and removes the folder.
 */
export async function startPostgres(port?: number): Promise<PostgresServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-pg-'));
  const data = path.join(dir, 'data');
  const user = 'relay';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(path.join(dir, 'pwfile'), `${password}\n`);
  if (process.getuid?.() === 0) {
    const { execFileSync } = await import('node:child_process');
    const uid = Number(execFileSync('id', ['-u', PG_USER]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', PG_USER]).toString().trim());
    fs.chownSync(dir, uid, gid);
    fs.chownSync(path.join(dir, 'pwfile'), uid, gid);
  }
  await run(postgresBin('initdb'), ['-D', data, '-U', user, `--pwfile=${path.join(dir, 'pwfile')}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  port ??= await freePort();
  const launch = asPostgresUser(postgresBin('postgres'), [
    '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir,
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=100', '-c', 'log_min_messages=fatal',
  ]);
  let child = spawn(launch.command, launch.args, { stdio: ['ignore', 'ignore', 'ignore'] });
  const urlFor = (database: string): string => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
  const server: PostgresServer = {
    url: urlFor('relay'),
    port,
    user,
    password,
    dir,
    urlFor,
    createDatabase: async (name) => {
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: urlFor('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return urlFor(name);
    },
    pause: () => stopPostgres(),
    resume: async () => {
      child = spawn(launch.command, launch.args, { stdio: ['ignore', 'ignore', 'ignore'] });
      await waitForPort(port, child, 'postgres');
    },
    stop: async () => {
      await stopPostgres();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  /** A fast shutdown (SIGTERM would wait for every client to leave): pg_ctl as the server's user, then the process is reaped. */
  async function stopPostgres(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await run(postgresBin('pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w']).catch(() => child.kill('SIGKILL'));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  try {
    await waitForPort(port, child, 'postgres');
    // The port opens a moment before logins are accepted; retry the first one.
    for (let attempt = 0; ; attempt++) {
      try {
        await server.createDatabase('relay');
        break;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** One query on its own connection, as another node or an auditor would read the database; the rows. */
export async function pgRows<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
