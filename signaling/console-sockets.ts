import { WebSocket } from 'ws';
import { CLOSE_CODES, ERRORS } from '../protocol/index.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';

/**
 * Every open console socket (`/ws/technician`, and plugin paths registered as
 * console sockets), by the login that opened it. When the login ends, by
 * logout here (`revoke`) or by anything another process does to the database
 * (`reset-password`, disable, delete, expiry: `sweep` on every heartbeat), its
 * sockets are closed with 4001.
 */
export class ConsoleSockets {
  private readonly byLogin = new Map<string, Set<WebSocket>>();
  private readonly timer: unknown;

  constructor(
    private readonly stillValid: (token: string) => Promise<boolean>,
    private readonly clock: Clock,
    heartbeatMs: number,
    private readonly logger: Logger,
  ) {
    this.timer = clock.setInterval(() => {
      this.sweep().catch((error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not check the console logins'));
    }, heartbeatMs);
  }

  /** Follows `ws`, opened with the login `token`, until it closes. */
  track(ws: WebSocket, token: string): void {
    let sockets = this.byLogin.get(token);
    if (!sockets) {
      sockets = new Set();
      this.byLogin.set(token, sockets);
    }
    sockets.add(ws);
    ws.once('close', () => {
      const current = this.byLogin.get(token);
      current?.delete(ws);
      if (current?.size === 0) this.byLogin.delete(token);
    });
  }

  /** Closes the sockets of one login now (it was just revoked). Returns how many. */
  revoke(token: string): number {
    const sockets = this.byLogin.get(token);
    if (!sockets) return 0;
    this.byLogin.delete(token);
    for (const ws of sockets) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      ws.send(JSON.stringify({ type: 'error', code: 'UNAUTHENTICATED', message: `${ERRORS.UNAUTHENTICATED.message} Your login ended.` }));
      ws.close(CLOSE_CODES.UNAUTHENTICATED, 'login ended');
    }
    return sockets.size;
  }

  /** Closes the sockets of every login that is no longer valid. Returns how many. */
  async sweep(): Promise<number> {
    let closed = 0;
    for (const token of [...this.byLogin.keys()]) if (!(await this.stillValid(token))) closed += this.revoke(token);
    if (closed > 0) this.logger.info({ closed }, 'closed console sockets of ended logins');
    return closed;
  }

  close(): void {
    this.clock.clearInterval(this.timer);
  }
}
