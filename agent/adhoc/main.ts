import { runAdhocCli } from './cli.ts';

// `tsx agent/adhoc/main.ts --server URL --adhoc TOKEN` (or --adhoc-resume for the service).
// agent/main.ts can hand `--adhoc*` arguments to runAdhocCli with its support session.
process.exitCode = await runAdhocCli(process.argv.slice(2));
process.exit();
