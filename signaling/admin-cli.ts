import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { RescueError } from '../protocol/index.ts';
import { AccountStore, checkPasswordStrength, type Account } from './accounts.ts';
import { ConfigError, loadConfig } from './config.ts';
import { prepareDataDir } from './data-dir.ts';
import { openDatabase } from './db.ts';

const USAGE = `Usage: npm run admin -- <command> [options]

  create-admin --email E [--name N]      create an administrator (password from stdin)
  create-technician --email E --name N   create a technician (password from stdin)
  list                                   list accounts and the seat count
  disable <email|id>                     disable an account (logs it out)
  enable <email|id>                      enable an account
  delete <email|id>                      delete an account (its audit trail stays)
  set-seats <N|unlimited>                how many technicians may have a console open at once
  reset-password <email|id>              set a new password (from stdin)
  limits                                 what the configured login and code limits let an attacker do

The password is read from stdin, never from the command line: typed without
echo on a terminal, or the first line of piped input. The database is the one
the server uses (DATA_DIR or DATABASE_PATH).`;

/** Reads a password: hidden prompt (twice) on a TTY, else the first stdin line. */
async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, terminal: false });
    for await (const line of rl) {
      rl.close();
      return line.replace(/\r$/, '');
    }
    throw new Error('No password on stdin.');
  }
  const ask = (question: string): Promise<string> =>
    new Promise((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
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

function show(account: Account): string {
  const flags = [account.isAdmin ? 'admin' : 'technician', account.disabled ? 'DISABLED' : 'enabled'].join(', ');
  return `${account.email}\t${account.name}\t${flags}\t${account.id}`;
}

export async function runAdminCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { email: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  const [command, target] = positionals;
  if (!command || values.help) {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  const config = loadConfig(process.env);
  if (command === 'limits') {
    // Loaded only here: the other commands start no faster for it.
    const { formatLimits } = await import('./limits-report.ts');
    console.log(formatLimits(config));
    return 0;
  }
  for (const warning of prepareDataDir(config)) console.error(`Warning: ${warning}`);
  const db = openDatabase(config.databasePath);
  const accounts = new AccountStore(db);
  try {
    switch (command) {
      case 'create-admin':
      case 'create-technician': {
        const email = values.email;
        if (!email) throw new Error('--email is required.');
        const name = values.name ?? (command === 'create-admin' ? 'Administrator' : undefined);
        if (!name) throw new Error('--name is required.');
        const password = await readPassword(`Password for ${email}: `);
        checkPasswordStrength(password);
        const account = await accounts.create({ email, name, password, isAdmin: command === 'create-admin' });
        console.log(`Created ${show(account)}`);
        return 0;
      }
      case 'list': {
        const seats = accounts.getSeats();
        console.log(`Seats: ${seats === null ? 'unlimited' : seats}`);
        for (const account of accounts.list()) console.log(show(account));
        return 0;
      }
      case 'disable':
      case 'enable': {
        if (!target) throw new Error(`${command} needs an email or id.`);
        const account = accounts.setDisabled(target, command === 'disable');
        console.log(`${command === 'disable' ? 'Disabled' : 'Enabled'} ${account.email}`);
        return 0;
      }
      case 'delete': {
        if (!target) throw new Error('delete needs an email or id.');
        console.log(`Deleted ${accounts.delete(target).email}`);
        return 0;
      }
      case 'set-seats': {
        if (!target || !/^(\d+|unlimited)$/.test(target)) throw new Error('set-seats needs a whole number or "unlimited".');
        accounts.setSeats(target === 'unlimited' ? null : Number(target));
        console.log(`Seats: ${target}`);
        return 0;
      }
      case 'reset-password': {
        const who = target ?? values.email;
        if (!who) throw new Error('reset-password needs an email or id.');
        const account = accounts.resolve(who);
        const password = await readPassword(`New password for ${account.email}: `);
        await accounts.setPassword(account.id, password);
        console.log(`Password changed for ${account.email}; their logins were ended.`);
        return 0;
      }
      default:
        console.error(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
        return 1;
    }
  } finally {
    db.close();
  }
}

runAdminCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof RescueError) console.error(`${error.code}: ${error.message}`);
    else if (error instanceof ConfigError) console.error(`Configuration error: ${error.message}`);
    else console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
