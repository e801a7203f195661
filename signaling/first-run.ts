import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type Router } from 'express';
import { RescueError, firstRunHttpSchema } from '../protocol/index.ts';
import type { AccountStore } from './accounts.ts';
import type { Clock } from './clock.ts';
import type { ServerContext } from './context.ts';

/** How long the printed setup link works. */
export const SETUP_LINK_MS = 30 * 60_000;

/**
 * The first-run setup of a fresh install: while no account exists, the server
 * prints a one-time link at start; the console page it opens creates the first
 * administrator. Anyone with the link may use it, and so may a browser on the
 * server itself (loopback, not through a proxy); nobody else. The link dies
 * after 30 minutes, or as soon as any account exists, whoever made it (the
 * admin CLI in another process included: the database is asked every time).
 */
export class FirstRunSetup {
  private readonly expiresAt: number;
  private creating = false;
  /** Whether no account existed at the last look (`needed`), for the synchronous `link`. */
  private empty = false;

  private constructor(
    private readonly accounts: AccountStore,
    private readonly clock: Clock,
    private readonly token: string | null,
  ) {
    this.empty = token !== null;
    this.expiresAt = clock.now() + SETUP_LINK_MS;
  }

  /** A setup with a token when the store has no account yet. */
  static async create(accounts: AccountStore, clock: Clock): Promise<FirstRunSetup> {
    return new FirstRunSetup(accounts, clock, (await accounts.count()) === 0 ? randomBytes(32).toString('base64url') : null);
  }

  /** Whether the server still needs its first account. */
  async needed(): Promise<boolean> {
    this.empty = (await this.accounts.count()) === 0;
    return this.empty;
  }

  /** The link to print at start (null when an account existed already, or exists now as far as this node has seen). */
  link(publicUrl: string): string | null {
    return this.token && this.empty ? `${publicUrl}/console#setup=${this.token}` : null;
  }

  /** Whether this request may use the setup: it carries the printed token, or comes from this machine directly. */
  async allows(req: IncomingMessage, token: string | undefined): Promise<boolean> {
    if (!(await this.needed())) return false;
    if (isDirectLoopback(req)) return true;
    return this.tokenValid(token);
  }

  /** The printed token, still within its 30 minutes. */
  tokenValid(token: string | undefined): boolean {
    if (!this.token || token === undefined || this.clock.now() > this.expiresAt) return false;
    const given = Buffer.from(token);
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Creates the first administrator; SETUP_CLOSED once any account exists (also mid-way through a parallel request). */
  async createAdmin(input: { email: string; name: string; password: string }): Promise<{ id: string; email: string; name: string }> {
    if (this.creating || !(await this.needed()) || this.creating) throw new RescueError('SETUP_CLOSED');
    this.creating = true;
    try {
      const account = await this.accounts.create({ ...input, isAdmin: true });
      this.empty = false;
      return { id: account.id, email: account.email, name: account.name };
    } finally {
      this.creating = false;
    }
  }
}

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'];

/**
 * A request straight from this machine: a loopback peer address and no
 * forwarding header. A reverse proxy on the same host connects from loopback
 * too, but for someone else; it says so with one of these headers.
 */
export function isDirectLoopback(req: IncomingMessage): boolean {
  const raw = req.socket.remoteAddress ?? '';
  const address = raw.startsWith('::ffff:') ? raw.slice(7) : raw;
  const loopback = address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(address);
  return loopback && PROXY_HEADERS.every((name) => req.headers[name] === undefined);
}

const tokenOf = (req: express.Request): string | undefined => {
  const header = req.headers['x-setup-token'];
  return typeof header === 'string' && header.length <= 128 ? header : undefined;
};

/**
 * GET /api/setup → `{needed, allowed}`: whether the first administrator is
 * still to be made, and whether this browser may make it (the setup token in
 * the `X-Setup-Token` header, or loopback). POST /api/setup {email, name,
 * password} with the same header creates that administrator.
 */
export function firstRunRoutes(ctx: ServerContext, setup: FirstRunSetup): Router {
  const router = express.Router();
  router.get('/setup', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ needed: await setup.needed(), allowed: await setup.allows(req, tokenOf(req)) });
  });
  router.post('/setup', async (req, res) => {
    if (!(await setup.needed())) throw new RescueError('SETUP_CLOSED');
    if (!(await setup.allows(req, tokenOf(req)))) throw new RescueError('SETUP_LINK_INVALID');
    const parsed = firstRunHttpSchema.safeParse(req.body);
    if (!parsed.success) throw new RescueError('INVALID_MESSAGE', 'Send {email, name, password}.');
    const account = await setup.createAdmin(parsed.data);
    ctx.logger.info({ technicianId: account.id }, 'first administrator created from the setup page');
    res.status(201).json(account);
  });
  return router;
}
