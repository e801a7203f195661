import { runAdhocCli } from './cli.ts';

// The ad hoc protocol alone: pairing, presence and the password step, without
// screen, input or files (tests and debugging). The real agent is
// `npm run agent -- --server URL --adhoc TOKEN` (agent/main.ts), which hands
// runAdhocCli its support session.
process.stderr.write('agent/adhoc/main.ts: protocol-only runner (no screen, input or files); use `npm run agent -- --adhoc …`.\n');
process.exitCode = await runAdhocCli(process.argv.slice(2));
process.exit();
