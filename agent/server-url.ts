import { UsageError } from './usage-error.ts';

/** The `--server` option of the agent's CLIs (support and ad hoc): an http(s) URL; every error names the option. */
export function parseServerUrl(value: string | undefined): URL {
  if (!value) throw new UsageError('--server URL is required');
  let server: URL;
  try {
    server = new URL(value);
  } catch {
    throw new UsageError(`--server: not a URL: ${value}`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(server.protocol)) throw new UsageError('--server must be an http(s) URL');
  return server;
}
