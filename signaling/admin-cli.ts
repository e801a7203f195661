import { processIo, runAdminCli } from './admin/cli.ts';

/** `npm run admin -- <command>` (signaling/admin/cli.ts). */
runAdminCli(process.argv.slice(2), processIo()).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
