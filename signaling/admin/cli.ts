import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ADMIN_PAGE_MAX, RescueError, type SettingsPatch } from '../../protocol/index.ts';
import { checkPasswordStrength } from '../accounts.ts';
import type { AdminActor } from './action-log.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { prepareDataDir } from '../data-dir.ts';
import { createLogger } from '../logger.ts';
import { openStore } from '../store/open-store.ts';
import { storeServices } from '../store/services.ts';

const USAGE = `Usage: npm run admin -- <command> [options]

  create-admin --email E [--name N]      create an administrator (password from stdin)
  create-technician --email E --name N   create a technician (password from stdin)
  list                                   list accounts and the seat count
  disable <email|id>                     disable an account (logs it out)
  enable <email|id>                      enable an account
  delete <email|id>                      delete an account (its audit trail stays)
  make-admin <email|id>                  make an account an administrator
  revoke-admin <email|id>                make an administrator a technician again
  reset-password <email|id>              set a new password (from stdin)
  reset-2fa <email|id>                   remove an account's two-factor login (it may enrol again)
  require-2fa <on|off>                   require two-factor login for every account
  set-seats <N|unlimited>                how many technicians may have a console open at once
  settings                               show the settings that can change while the server runs
  set-setting <name> <value>             change one: seats, require2fa, loginSessionHours
  audit [--technician E] [--from D] [--to D] [--text T] [--limit N] [--csv]
                                         sessions newest first (dates YYYY-MM-DD, UTC, --to inclusive);
                                         --csv writes every match as CSV to stdout
  actions [--limit N]                    the administration log, newest first
  limits                                 what the configured login and code limits let an attacker do
  migrate-to-postgres --from FILE        copy a SQLite database (the server's until now) into the empty
                                         PostgreSQL database DATABASE_URL names; refuses a target with data

The password is read from stdin, never from the command line: typed without
echo on a terminal, or the first line of piped input. The database is the one
the server uses (DATA_DIR or DATABASE_PATH). Every change is written to the
administration log as done by "cli".`;

/** Where the CLI reads and writes: the process's own (`processIo`), or a test's. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export const processIo = (): CliIo => ({ env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

/** Reads a password: hidden prompt (twice) on a TTY, else the first stdin line. */
async function readPassword(io: CliIo, prompt: string): Promise<string> {
  if (!io.stdin.isTTY) {
    const rl = createInterface({ input: io.stdin, terminal: false });
    for await (const line of rl) {
      rl.close();
      return line.replace(/\r$/, '');
    }
    throw new Error('No password on stdin.');
  }
  const ask = (question: string): Promise<string> =>
    new Promise((resolve) => {
      const rl = createInterface({ input: io.stdin, output: process.stdout, terminal: true });
      const output = rl as unknown as { _writeToOutput: (text: string) => void };
      let prompted = false;
      output._writeToOutput = (text: string) => {
        if (!prompted) {
          process.stdout.write(text);
          prompted = true;
        }
      };
      rl.question(question, (answer) => {
        rl.close();
        process.stdout.write('\n');
        resolve(answer);
      });
    });
  const first = await ask(prompt);
  const second = await ask('Repeat the password: ');
  if (first !== second) throw new Error('The two passwords differ.');
  return first;
}

function show(account: { email: string; name: string; isAdmin: boolean; disabled: boolean; id: string }, twoFactor?: boolean): string {
  const flags = [account.isAdmin ? 'admin' : 'technician', account.disabled ? 'DISABLED' : 'enabled', ...(twoFactor ? ['2fa'] : [])].join(', ');
  return `${account.email}\t${account.name}\t${flags}\t${account.id}`;
}

/** A YYYY-MM-DD day as UTC milliseconds (`endOfDay`: the next midnight, for an inclusive --to). */
function parseDay(text: string | undefined, option: string, endOfDay = false): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) throw new Error(`${option} needs a date as YYYY-MM-DD.`);
  return Date.parse(`${text}T00:00:00Z`) + (endOfDay ? 86_400_000 : 0);
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return 50;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > ADMIN_PAGE_MAX) throw new Error(`--limit needs a number from 1 to ${ADMIN_PAGE_MAX}.`);
  return Number(text);
}

/** `set-setting NAME VALUE` as a settings patch. */
function settingPatch(name: string, value: string | undefined): SettingsPatch {
  if (value === undefined) throw new Error(`${name || 'set-setting'} needs a value.`);
  switch (name) {
    case 'seats':
      if (!/^(\d+|unlimited)$/.test(value)) throw new Error('seats needs a whole number or "unlimited".');
      return { seats: value === 'unlimited' ? null : Number(value) };
    case 'require2fa':
      return { require2fa: onOff(value, 'require2fa') };
    case 'loginSessionHours':
      if (!/^\d+$/.test(value)) throw new Error('loginSessionHours needs a whole number of hours.');
      return { loginSessionHours: Number(value) };
    default:
      throw new Error(`Unknown setting ${JSON.stringify(name)}: seats, require2fa or loginSessionHours.`);
  }
}

function onOff(value: string | undefined, what: string): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new Error(`${what} needs "on" or "off".`);
}

function cliActor(): AdminActor {
  let user = '';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): "cli" alone.
  }
  return { kind: 'cli', label: user ? `cli (${user})` : 'cli' };
}

const day = (at: number | null): string => (at === null ? '-' : new Date(at).toISOString().replace('T', ' ').slice(0, 19));

/** `migrate-to-postgres --from FILE`: SQLite into the PostgreSQL of DATABASE_URL (signaling/store/migrate-to-postgres.ts). */
async function migrateCommand(out: (line: string) => void, config: { databaseUrl: string | null }, from: string | undefined): Promise<number> {
  if (config.databaseUrl === null) throw new Error('migrate-to-postgres needs DATABASE_URL: the PostgreSQL database to copy into.');
  if (!from) throw new Error('migrate-to-postgres needs --from FILE: the SQLite database to copy (by default DATA_DIR/relay-rescue.db).');
  const { migrateSqliteToPostgres } = await import('../store/migrate-to-postgres.ts');
  const report = await migrateSqliteToPostgres(path.resolve(from), config.databaseUrl, createLogger('silent'));
  for (const [table, rows] of Object.entries(report.copied)) out(`${table}\t${rows}`);
  out(`Copied ${path.resolve(from)} into PostgreSQL. Start the server with DATABASE_URL set.`);
  return 0;
}

/**
 * `npm run admin -- <command>`: runs one command and returns the exit status;
 * a failure is one line on stderr (`CODE: message` for a catalogue error), status 1.
 */
export async function runAdminCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  try {
    return await runCommand(argv, io);
  } catch (error) {
    if (error instanceof RescueError) io.stderr.write(`${error.code}: ${error.message}\n`);
    else if (error instanceof ConfigError) io.stderr.write(`Configuration error: ${error.message}\n`);
    else io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const out = (line: string | number): void => void io.stdout.write(`${line}\n`);
  const err = (line: string): void => void io.stderr.write(`${line}\n`);
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      technician: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      text: { type: 'string' },
      limit: { type: 'string' },
      csv: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  const [command, target, value] = positionals;
  if (!command || values.help) {
    out(USAGE);
    return command ? 0 : 1;
  }
  const config = loadConfig(io.env);
  if (command === 'limits') {
    // Loaded only here: the other commands start no faster for it.
    const { formatLimits } = await import('../limits-report.ts');
    out(formatLimits(config));
    return 0;
  }
  if (command === 'migrate-to-postgres') return migrateCommand(out, config, values.from);
  for (const warning of prepareDataDir(config)) err(`Warning: ${warning}`);
  const store = await openStore(config, createLogger('silent'));
  const { accounts, settings, admin } = storeServices(store, config);
  const actor = cliActor();
  const need = (what: string): string => {
    if (!target) throw new Error(`${command} needs ${what}.`);
    return target;
  };
  try {
    switch (command) {
      case 'create-admin':
      case 'create-technician': {
        const email = values.email;
        if (!email) throw new Error('--email is required.');
        const name = values.name ?? (command === 'create-admin' ? 'Administrator' : undefined);
        if (!name) throw new Error('--name is required.');
        const password = await readPassword(io, `Password for ${email}: `);
        checkPasswordStrength(password);
        const account = await admin.createTechnician(actor, { email, name, password, isAdmin: command === 'create-admin' });
        out(`Created ${show(account)}`);
        return 0;
      }
      case 'list': {
        const seats = await settings.seats();
        out(`Seats: ${seats === null ? 'unlimited' : seats}`);
        out(`Two-factor login: ${(await settings.require2fa()) ? 'required' : 'optional'}`);
        for (const account of await admin.technicians()) out(show(account, account.twoFactor));
        return 0;
      }
      case 'disable':
      case 'enable': {
        const account = await admin.setDisabled(actor, need('an email or id'), command === 'disable');
        out(`${command === 'disable' ? 'Disabled' : 'Enabled'} ${account.email}`);
        return 0;
      }
      case 'delete': {
        out(`Deleted ${(await admin.deleteTechnician(actor, need('an email or id'))).email}`);
        return 0;
      }
      case 'make-admin':
      case 'revoke-admin': {
        const account = await admin.setAdmin(actor, need('an email or id'), command === 'make-admin');
        out(`${account.email} is ${account.isAdmin ? 'an administrator' : 'a technician'}`);
        return 0;
      }
      case 'reset-password': {
        const account = await accounts.resolve(target ?? values.email ?? need('an email or id'));
        const password = await readPassword(io, `New password for ${account.email}: `);
        await admin.resetPassword(actor, account.id, password);
        out(`Password changed for ${account.email}; their logins were ended.`);
        return 0;
      }
      case 'reset-2fa': {
        const account = await admin.resetTwoFactor(actor, need('an email or id'));
        out(`Two-factor login removed for ${account.email}; their logins were ended. They can enrol again at their next login.`);
        return 0;
      }
      case 'require-2fa': {
        const on = onOff(target, 'require-2fa');
        await admin.updateSettings(actor, { require2fa: on });
        out(on ? 'Two-factor login is now required: accounts without it must enrol at their next login.' : 'Two-factor login is now optional.');
        return 0;
      }
      case 'set-seats': {
        await admin.updateSettings(actor, settingPatch('seats', target));
        out(`Seats: ${target}`);
        return 0;
      }
      case 'settings':
      case 'set-setting': {
        const current = command === 'settings' ? await admin.settings() : await admin.updateSettings(actor, settingPatch(target ?? '', value));
        out(`seats\t${current.seats === null ? 'unlimited' : current.seats}`);
        out(`require2fa\t${current.require2fa ? 'on' : 'off'}`);
        out(`loginSessionHours\t${current.loginSessionHours}`);
        return 0;
      }
      case 'audit': {
        const query = {
          technician: values.technician,
          from: parseDay(values.from, '--from'),
          to: parseDay(values.to, '--to', true),
          q: values.text,
        };
        if (values.csv) {
          for await (const chunk of admin.exportCsv(actor, query)) io.stdout.write(chunk);
          return 0;
        }
        const page = await admin.sessions({ ...query, limit: parseLimit(values.limit) });
        out('started\tended\tduration_s\ttechnician\tcustomer\treason\tevents\tsession');
        for (const s of page.sessions) {
          const duration = s.durationMs === null ? '-' : String(Math.round(s.durationMs / 1000));
          out([day(s.startedAt ?? s.createdAt), day(s.endedAt), duration, s.technicianEmail, s.customerAddress ?? '-', s.endReason ?? '-', s.eventCount, s.id].join('\t'));
        }
        if (page.searchedBackTo !== null) out(`(searched back to ${day(page.searchedBackTo)}; narrow the dates to search further)`);
        return 0;
      }
      case 'actions': {
        for (const a of (await admin.actions(undefined, parseLimit(values.limit))).actions) {
          out([day(a.at), a.actorLabel, a.action, a.target, a.detail].join('\t'));
        }
        return 0;
      }
      default:
        err(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
        return 1;
    }
  } finally {
    await store.close();
  }
}
