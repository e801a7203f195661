import type { IncomingMessage } from 'node:http';
import type { Router } from 'express';
import type { WebSocket } from 'ws';
import type { AccountStore } from './accounts.ts';
import type { AuditLog } from './audit-log.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { ConsoleSockets } from './console-sockets.ts';
import type { CarriedTokenLookup } from './download-routes.ts';
import type { OriginPolicy } from './http-util.ts';
import type { LoginSessions } from './login-sessions.ts';
import type { Logger } from './logger.ts';
import type { RuntimeSettings } from './runtime-settings.ts';
import type { SessionRegistry } from './session-registry.ts';
import type { TwoFactorService } from './two-factor/two-factor-service.ts';
import type { SessionService } from './session-service.ts';
import type { ClusterLimits } from './cluster/cluster-limits.ts';
import type { ClusterPort } from './cluster/cluster-sessions.ts';
import type { Store } from './store/types.ts';
import type { UnauthenticatedSlot } from './unauthenticated-sockets.ts';

/** Everything a request or socket handler needs; built once per server. */
export interface ServerContext {
  config: Readonly<Config>;
  clock: Clock;
  logger: Logger;
  /** The database behind the services (SQLite or PostgreSQL). */
  store: Store;
  accounts: AccountStore;
  logins: LoginSessions;
  audit: AuditLog;
  /** This node's sessions (tests and tools look sessions up in it). */
  registry: SessionRegistry;
  /** The sessions as sockets and routes use them: this node's, or the cluster's (REDIS_URL). */
  sessions: SessionService;
  /** Login and code lockouts counted over all nodes (REDIS_URL); null on one node alone. */
  clusterLimits: ClusterLimits | null;
  /** The cluster's bus and Redis for features beside the PIN sessions (ad hoc support); null on one node alone. */
  cluster: ClusterPort | null;
  /** Open console sockets by login; closed (4001) when their login ends. */
  consoles: ConsoleSockets;
  /** The client's address of a request: the socket's, or the one the trusted proxy appended (TRUST_PROXY). */
  clientAddress(req: IncomingMessage): string;
  /** Settings an administrator changes at run time (seats, two-factor policy, login lifetime). */
  settings: RuntimeSettings;
  twoFactor: TwoFactorService;
  /** Filled in once the server listens (the port may be 0 until then). */
  origins: OriginPolicy;
  publicUrl: string;
  version: string;
}

/** Handles an upgraded WebSocket on a path a plugin registered. */
/** `slot` is set for a socket registered with `unauthenticated: true`; give it back once the socket has proved itself. */
export type WebSocketHandler = (ws: WebSocket, req: IncomingMessage, slot?: UnauthenticatedSlot) => void;

/**
 * An extension of the server (the ad hoc feature is one): it gets the context,
 * an Express router mounted before the static files (so `/api/adhoc/...` is
 * its to define; JSON bodies are already parsed and errors thrown as
 * RescueError become `{error:{code,message}}`), and may claim WebSocket paths.
 * Plugins are registered where the process is assembled (signaling/main.ts
 * registers ad hoc support), never found on disk.
 */
export interface ServerPlugin {
  name: string;
  install(input: PluginInput): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface WebSocketOptions {
  /**
   * A console socket: authenticated by the technician's `rr_session` login.
   * The server closes it (4001) when that login ends (logout, password reset,
   * account disabled or deleted, expiry), checked on every heartbeat.
   */
  console?: boolean;
  /**
   * A socket that proves itself with its first messages (no cookie): it takes
   * a place among the server's unauthenticated sockets (UNAUTH_SOCKETS_PER_ADDRESS,
   * UNAUTH_SOCKETS_TOTAL), as `/ws/customer` does, and is refused when none is left.
   */
  unauthenticated?: boolean;
}

export interface PluginInput {
  ctx: ServerContext;
  router: Router;
  registerWebSocket(path: string, handler: WebSocketHandler, options?: WebSocketOptions): void;
  /** Lets `/download/linux?adhoc=<token>` carry this plugin's token while `lookup` accepts it. */
  registerDownloadToken(param: 'adhoc', lookup: CarriedTokenLookup): void;
}
