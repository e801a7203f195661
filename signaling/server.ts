import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE_CODES, RescueError } from '../protocol/index.ts';
import type { AccountStore, PasswordVerifier } from './accounts.ts';
import { apiRoutes } from './api-routes.ts';
import type { AuditLog } from './audit-log.ts';
import { authRoutes, checkOrigin } from './auth-http.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import { ClientAddresses } from './client-address.ts';
import { ConsoleSockets } from './console-sockets.ts';
import type { ServerContext, ServerPlugin, WebSocketHandler, WebSocketOptions } from './context.ts';
import { acceptCustomerSocket } from './customer-socket.ts';
import { prepareDataDir } from './data-dir.ts';
import { openStore } from './store/open-store.ts';
import { storeServices } from './store/services.ts';
import type { Store } from './store/types.ts';
import { AppletDownloads } from './download-routes.ts';
import { OriginPolicy, SESSION_COOKIE, deriveOrigins, parseCookies } from './http-util.ts';
import { LiveSessions } from './live-sessions.ts';
import { keepCodeFailures } from './code-failures.ts';
import { SecretBox } from './two-factor/secret-box.ts';
import { FirstRunSetup, firstRunRoutes } from './first-run.ts';
import { restoreLiveSessions } from './restore-sessions.ts';
import { createLogger, type Logger } from './logger.ts';
import { SessionHandover } from './session-handover.ts';
import { SessionRegistry } from './session-registry.ts';
import { LocalSessions } from './session-service.ts';
import { joinCluster } from './cluster/cluster-sessions.ts';
import { missingBuildOutputs, securityHeaders, staticRoutes } from './static.ts';
import { refuseSocket } from './signaling-socket.ts';
import { commitPending, holdWritesForThisTurn, reportTurnFailures } from './turn.ts';
import { acceptTechnicianSocket } from './technician-socket.ts';
import { UnauthenticatedSockets, type UnauthenticatedSlot } from './unauthenticated-sockets.ts';
import { adminPage } from './admin/admin-page.ts';
import { adminRoutes } from './admin/admin-routes.ts';
import type { AdminService } from './admin/admin-service.ts';
import { consoleIdentity, rememberUpgradeIdentity, upgradeIdentity } from './two-factor/console-gate.ts';
import { twoFactorRoutes } from './two-factor/routes.ts';

/** This module's folder: signaling/ from source, dist/server/ in the built server (scripts/build-server.ts). */
const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The install's root, where package.json and dist/ are: the nearest folder above HERE with a package.json. */
const ROOT = findRoot(HERE);

function findRoot(from: string): string {
  for (let dir = from; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return path.resolve(from, '..');
}

export interface StartOptions {
  /** Injected time source (tests: `@sinonjs/fake-timers` createClock()). */
  clock?: Clock;
  logger?: Logger;
  /** Vite output; default dist/web. */
  webRoot?: string;
  /** Agent bundle for /download; default dist/agent. */
  agentRoot?: string;
  /** Extensions, registered where the process is assembled (signaling/main.ts adds ad hoc support); default none. */
  plugins?: ServerPlugin[];
  /** Overrides the PIN code generator (tests). */
  generateCode?: () => string;
  /** Overrides the argon2 password check (tests count the checks with it). */
  verifyPassword?: PasswordVerifier;
}

export interface RunningServer {
  /** http(s)://host:port as listened on (loopback in tests). */
  url: string;
  /** ws(s)://host:port. */
  wsUrl: string;
  port: number;
  /** The origin browsers use; allowed for the technician socket. */
  publicUrl: string;
  config: Readonly<Config>;
  /** The database (SQLite or PostgreSQL) behind the services. */
  store: Store;
  ctx: ServerContext;
  registry: SessionRegistry;
  accounts: AccountStore;
  audit: AuditLog;
  /** Accounts, settings and the audit trail as administrators see them (the API's and the CLI's service). */
  admin: AdminService;
  clock: Clock;
  /** The one-time first-run link (signaling/first-run.ts) while no account exists; null otherwise. */
  setupLink(): string | null;
  /** The applet downloads (tests check a trailer's MAC with `downloads.verify`). */
  downloads: AppletDownloads;
  /** Closes every session (reason server_shutdown), every socket, then the database. Idempotent. */
  close(): Promise<void>;
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version.slice(0, 40) : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Starts the signaling server: HTTP(S) + WebSockets on one port. */
export async function startServer(config: Readonly<Config>, opts: StartOptions = {}): Promise<RunningServer> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const now = () => clock.now();
  for (const warning of prepareDataDir(config)) logger.warn(warning);
  const store = await openStore(config, logger);
  reportTurnFailures((error) => logger.error({ err: error instanceof Error ? error.stack : String(error) }, 'could not commit a turn of writes: its replies were cut'));
  const { accounts, audit, settings, twoFactor, logins, admin } = storeServices(store, config, { now, verifyPassword: opts.verifyPassword });
  const seats = (): Promise<number | null> => accounts.getSeats();
  const cluster =
    config.redisUrl === null
      ? null
      : await joinCluster({ config, clock, logger, audit, seats, url: config.redisUrl }).catch(async (error: unknown) => {
          await store.close();
          throw error;
        });
  // One node restores the sessions its last run left live; on several nodes the others' sessions are open too,
  // and the cluster ends a dead node's sessions instead (docs/scale.md).
  const live = !store.durable || cluster ? null : new LiveSessions(store.live, codeBox(config));
  // One transaction per registry step (SQLite: one commit for a step's audit rows and live-session writes).
  const registry = new SessionRegistry({
    config,
    clock,
    audit,
    logger,
    generateCode: cluster ? cluster.generateCode : opts.generateCode,
    hooks: cluster?.hooks,
    live,
    atomically: (writes) => store.atomically(writes),
  });
  if (!cluster) await restoreLiveSessions({ registry, live, audit, accounts, logger });
  // The per-address code limits outlast a restart too, or a restart would lift an attacker's lockout.
  if (!cluster && store.durable && store.codeFailures) {
    const kept = await keepCodeFailures(registry.guard, store.codeFailures, now);
    if (kept > 0) logger.info({ addresses: kept }, 'restored the code limits of the last run (wrong codes per address)');
  }
  const handover = new SessionHandover(registry, audit);
  const sessions = cluster ? cluster.serve(registry, handover, opts.generateCode) : new LocalSessions(registry, handover, seats);
  const addresses = new ClientAddresses(config.trustProxy, (header) =>
    logger.warn({ header }, 'ignored an X-Forwarded-For header that is not a list of IP addresses (logged once)'),
  );
  const ctx: ServerContext = {
    config,
    clock,
    logger,
    store,
    accounts,
    logins,
    audit,
    registry,
    sessions,
    clusterLimits: cluster?.limits ?? null,
    cluster: cluster?.port ?? null,
    consoles: new ConsoleSockets(async (token) => (await logins.lookup(token)) !== null, clock, config.heartbeatMs, logger),
    clientAddress: (req) => addresses.of(req),
    settings,
    twoFactor,
    origins: new OriginPolicy([]),
    publicUrl: config.publicUrl ?? '',
    version: readVersion(),
  };
  const unauthenticated = new UnauthenticatedSockets(config.unauthSocketsPerAddress, config.unauthSocketsTotal);

  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy > 0) app.set('trust proxy', config.trustProxy);
  app.use(holdResponsesForTheCommit);
  app.use(securityHeaders(ctx));
  app.get('/healthz', (_req, res) => {
    const problem = store.problem() ?? cluster?.problem() ?? null;
    if (problem) res.status(503).json({ ok: false, cause: problem });
    else res.json({ ok: true });
  });
  const api = express.Router();
  api.use(express.json({ limit: '32kb' }));
  api.use(checkOrigin(ctx));
  api.use(authRoutes(ctx));
  const setup = await FirstRunSetup.create(accounts, clock);
  api.use(firstRunRoutes(ctx, setup));
  api.use(apiRoutes(ctx));
  api.use('/2fa', twoFactorRoutes(ctx));
  api.use('/admin', adminRoutes(ctx, admin));
  app.use('/api', api);

  const agentRoot = opts.agentRoot ?? path.join(ROOT, 'dist', 'agent');
  const downloads = new AppletDownloads(ctx, agentRoot);
  const wsHandlers = new Map<string, WebSocketHandler>();
  const wsOptions = new Map<string, WebSocketOptions>([['/ws/technician', { console: true }]]);
  const plugins = opts.plugins ?? [];
  for (const plugin of plugins) {
    const router = express.Router();
    router.use('/api', express.json({ limit: '32kb' }), checkOrigin(ctx));
    await plugin.install({
      ctx,
      router,
      registerWebSocket: (wsPath, handler, options = {}) => {
        wsHandlers.set(wsPath, handler);
        wsOptions.set(wsPath, options);
      },
      registerDownloadToken: (param, lookup) => downloads.registerLookup(param, lookup),
    });
    app.use(router);
    logger.info({ plugin: plugin.name }, 'plugin installed');
  }
  app.use('/api', (_req, _res, next) => next(new RescueError('INVALID_MESSAGE', 'No such API route.')));
  const webRoot = opts.webRoot ?? path.join(ROOT, 'dist', 'web');
  const missing = missingBuildOutputs(webRoot, agentRoot);
  if (missing.length > 0) {
    const files = missing.map((file) => path.relative(ROOT, file) || file);
    logger.warn({ missing: files }, `Not built, so not served: ${files.join(', ')}. Run \`npm run build\` (npm start builds them too).`);
  }
  app.use(adminPage(ctx, webRoot));
  app.use(downloads.router());
  app.use(staticRoutes(webRoot, agentRoot, () => ctx.publicUrl));
  app.use(errorHandler(logger));

  const server = config.tls
    ? https.createServer({ cert: fs.readFileSync(config.tls.certFile), key: fs.readFileSync(config.tls.keyFile) }, app)
    : http.createServer(app);
  // Oversized messages up to 1 MiB get an error reply from the parser; beyond that ws closes with 1009.
  // No permessage-deflate (ws's default for a server, stated here): a zlib context per socket would cost every idle connection.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });

  server.on('upgrade', (req, socket, head) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const known = pathname === '/ws/technician' || pathname === '/ws/customer' || wsHandlers.has(pathname);
    if (!known) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const upgrade = (): void => {
      // The 101 response and the socket's first message (a customer's welcome) leave in one write.
      holdWritesForThisTurn(socket);
      wss.handleUpgrade(req, socket, head, (ws) => {
        try {
          if (wsOptions.get(pathname)?.console) trackConsole(ctx, ws, req);
          routeSocket(ctx, pathname, ws, req, wsHandlers, wsOptions, unauthenticated);
        } catch (error) {
          logger.error({ err: error instanceof Error ? error.stack : String(error) }, 'socket setup failed');
          ws.close(1011, 'internal error');
        }
      });
    };
    if (!wsOptions.get(pathname)?.console) {
      upgrade();
      return;
    }
    // A console socket's login is read from the store before the handshake completes.
    consoleIdentity(ctx, req).then(
      (identity) => {
        rememberUpgradeIdentity(req, identity);
        upgrade();
      },
      (error: unknown) => {
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'could not read the login of a console socket');
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const derived = deriveOrigins({ publicUrl: config.publicUrl, allowedOrigins: config.allowedOrigins, host: config.host, port, tls: config.tls !== null });
  ctx.origins = new OriginPolicy(derived.origins);
  ctx.publicUrl = derived.publicUrl;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${config.tls ? 'https' : 'http'}://${hostForUrl}:${port}`;
  logger.info({ url, publicUrl: derived.publicUrl }, 'listening');
  const stopWatchingTurnSecret = config.turnSecret?.watch((level, message) => logger[level](message)) ?? (() => {});
  if (config.turnSecret?.file) logger.info(`TURN secret read from ${config.turnSecret.file}; re-read when it changes`);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopWatchingTurnSecret();
      ctx.consoles.close();
      await sessions.shutdown();
      for (const plugin of plugins) await plugin.close?.();
      for (const client of wss.clients) client.close(CLOSE_CODES.SERVER_SHUTDOWN, 'server shutdown');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Sockets that do not finish the close handshake promptly are cut.
        const cut = setTimeout(() => {
          for (const client of wss.clients) client.terminate();
          server.closeAllConnections();
        }, 1000);
        cut.unref();
      });
      wss.close();
      await store.close();
      logger.info('stopped');
    })();
    return closing;
  };

  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    port,
    publicUrl: derived.publicUrl,
    config,
    store,
    ctx,
    registry,
    accounts,
    audit,
    admin,
    clock,
    setupLink: () => setup.link(derived.publicUrl),
    downloads,
    close,
  };
}

/** The key that seals the pending codes kept across a restart, its file made now (0600) if there is none. */
function codeBox(config: Readonly<Config>): SecretBox {
  const box = config.codeKeyFile === null ? SecretBox.ephemeral() : SecretBox.fromKeyFile(config.codeKeyFile, 'code');
  box.prepare();
  return box;
}

/**
 * An HTTP reply written while the turn's store writes are not committed yet
 * (a code entered over HTTP, a login in the same turn as a session step)
 * waits for that commit, as socket replies do (signaling/turn.ts).
 */
function holdResponsesForTheCommit(_req: Request, res: Response, next: NextFunction): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((...args: unknown[]) => {
    if (commitPending()) holdWritesForThisTurn(res.socket);
    return end(...args);
  }) as Response['end'];
  next();
}

/**
 * Follows a console socket opened with a live login, so that it is closed
 * when the login ends (a refused socket closes on its own).
 */
function trackConsole(ctx: ServerContext, ws: WebSocket, req: http.IncomingMessage): void {
  const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  if (token !== undefined && upgradeIdentity(req).loggedIn) ctx.consoles.track(ws, token);
}

function routeSocket(
  ctx: ServerContext,
  pathname: string,
  ws: WebSocket,
  req: http.IncomingMessage,
  handlers: Map<string, WebSocketHandler>,
  options: Map<string, WebSocketOptions>,
  unauthenticated: UnauthenticatedSockets,
): void {
  if (pathname === '/ws/customer') {
    const address = ctx.clientAddress(req);
    const slot = admitUnauthenticated(ctx, ws, address, unauthenticated);
    if (slot) acceptCustomerSocket(ctx, ws, address, slot);
    return;
  }
  if (pathname === '/ws/technician') {
    if (!ctx.origins.allows(req.headers.origin)) {
      refuseSocket(ws, 'ORIGIN_NOT_ALLOWED', CLOSE_CODES.ORIGIN_NOT_ALLOWED);
      return;
    }
    const { technician, mustEnrol } = upgradeIdentity(req);
    if (!technician) {
      refuseSocket(ws, mustEnrol ? 'SECOND_FACTOR_ENROLMENT_REQUIRED' : 'UNAUTHENTICATED', CLOSE_CODES.UNAUTHENTICATED);
      return;
    }
    acceptTechnicianSocket(ctx, ws, technician);
    return;
  }
  const handler = handlers.get(pathname);
  if (!handler) return;
  if (!options.get(pathname)?.unauthenticated) return handler(ws, req);
  const slot = admitUnauthenticated(ctx, ws, ctx.clientAddress(req), unauthenticated);
  if (slot) handler(ws, req, slot);
}

/** A place among the unauthenticated sockets, or null after refusing the socket (4029) with the reason. */
function admitUnauthenticated(ctx: ServerContext, ws: WebSocket, address: string, unauthenticated: UnauthenticatedSockets): UnauthenticatedSlot | null {
  const slot = unauthenticated.admit(address);
  if (!('refused' in slot)) return slot;
  const why = slot.refused === 'address' ? 'from your address' : 'on this server';
  ctx.logger.info({ address, refused: slot.refused }, 'too many unauthenticated sockets');
  ws.send(JSON.stringify({ type: 'error', code: 'TOO_MANY_CONNECTIONS', message: `Too many connections ${why} are still connecting; try again shortly.` }));
  ws.close(CLOSE_CODES.TOO_MANY_CONNECTIONS, 'too many connections');
  return null;
}

/** Turns thrown errors into `{error:{code,message}}` with the catalogue's status. */
function errorHandler(logger: Logger) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    let rescue: RescueError;
    if (error instanceof RescueError) rescue = error;
    else if (isBodyError(error, 'entity.parse.failed')) rescue = new RescueError('BAD_JSON');
    else if (isBodyError(error, 'entity.too.large')) rescue = new RescueError('MESSAGE_TOO_LARGE');
    else if (isBodyError(error)) rescue = new RescueError('INVALID_MESSAGE');
    else {
      logger.error({ err: error instanceof Error ? error.stack : String(error) }, 'request failed');
      rescue = new RescueError('INTERNAL');
    }
    if (res.headersSent) return;
    res.status(rescue.status).json({ error: { code: rescue.code, message: rescue.message } });
  };
}

function isBodyError(error: unknown, type?: string): boolean {
  if (typeof error !== 'object' || error === null || !('type' in error)) return false;
  const errorType = error.type;
  return typeof errorType === 'string' && (type === undefined ? errorType.startsWith('entity.') || errorType.startsWith('request.') : errorType === type);
}
