import { createAdhocPlugin } from './adhoc/index.ts';
import { ConfigError, loadConfig, logOutputFor } from './config.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';

/** `npm start`: load the configuration, start the server, stop cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, logOutputFor(config, process.stdout.isTTY === true));
  let server;
  try {
    // Features are registered here, where the process is assembled.
    server = await startServer(config, { logger, plugins: [createAdhocPlugin()] });
  } catch (error) {
    // Start-up checks of the environment (the data folder's permissions) fail like configuration does.
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  logger.info(`Relay Rescue is running at ${server.publicUrl} (listening on ${server.url})`);
  const setupLink = server.setupLink();
  if (setupLink) {
    logger.warn(`No accounts yet. Create the first administrator in the browser (this link works once, for 30 minutes): ${setupLink}`);
    logger.warn('Or from the command line: npm run admin -- create-admin --email you@example.com --name "Your Name"');
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
