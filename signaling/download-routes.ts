import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import {
  decodeTrailer,
  encodeTrailer,
  trailerMacInput,
  trailerPayloadBytes,
  type AppletTrailerPayload,
  type CarriedKind,
} from '../protocol/applet-trailer.ts';
import { tokenSchema } from '../protocol/common.ts';
import { RescueError, type ErrorCode } from '../protocol/errors.ts';
import type { ServerContext } from './context.ts';

/** The applet files `npm run build` writes to dist/agent/, by the OS name in the route. */
export const APPLET_FILES = {
  linux: 'relay-rescue-support-linux-x64',
  /** The Windows x64 applet (docs/windows.md); the same trailer, after the PE image (Windows ignores an overlay). */
  windows: 'relay-rescue-support.exe',
} as const;
export type AppletOs = keyof typeof APPLET_FILES;

/** Answers whether a token may be carried, and until when; null when it is not valid (now). */
export type CarriedTokenLookup = (token: string) => { expiresAt: number | null } | null | Promise<{ expiresAt: number | null } | null>;

/** The query parameter that names each kind of carried token. */
const PARAMS = { token: 'session', adhoc: 'adhoc' } as const satisfies Record<string, Exclude<CarriedKind, 'none'>>;
type Param = keyof typeof PARAMS;
const INVALID: Record<Param, ErrorCode> = { token: 'TOKEN_INVALID', adhoc: 'ADHOC_NOT_FOUND' };

/**
 * `GET /download/linux` and `GET /download/windows`:
 * the single-file applet with a signed trailer appended
 * (protocol/applet-trailer.ts) carrying the server's public URL and, with
 * `?token=<customer session token>` or `?adhoc=<deployment token>`, that
 * token, so the customer only downloads and runs. A token is carried only
 * while the server would accept it (a live PIN session; an ad hoc session
 * not yet paired, ended or expired), so the file never holds a token that
 * outlives its session; the server drops it when the session ends. The MAC
 * (HMAC-SHA256 with a key made at start-up) lets this server recognise its own
 * trailers (`verify`); the applet cannot check it, and it is no defence
 * against someone who hands out a modified file: that is code signing's job.
 */
export class AppletDownloads {
  private readonly key = randomBytes(32);
  private readonly lookups = new Map<Param, CarriedTokenLookup>();

  constructor(
    private readonly ctx: ServerContext,
    private readonly agentRoot: string,
  ) {
    this.lookups.set('token', (token) => (ctx.registry.hasCustomerToken(token) ? { expiresAt: null } : null));
  }

  /** A plugin (ad hoc support) says which of its tokens a download may carry. */
  registerLookup(param: 'adhoc', lookup: CarriedTokenLookup): void {
    this.lookups.set(param, lookup);
  }

  /** The trailer bytes for a payload: payload, MAC, length, magic. */
  trailer(payload: AppletTrailerPayload): Uint8Array {
    const bytes = trailerPayloadBytes(payload);
    return encodeTrailer(bytes, this.mac(bytes));
  }

  /** The payload of a trailer this server wrote (from a file's tail), or null. */
  verify(tail: Uint8Array): AppletTrailerPayload | null {
    const decoded = decodeTrailer(tail);
    if (!decoded.found) return null;
    return timingSafeEqual(this.mac(decoded.payloadBytes), decoded.mac) ? decoded.payload : null;
  }

  router(): Router {
    const router = express.Router();
    router.get('/download/:os', (req, res, next) => {
      const os = req.params.os;
      if (os !== 'linux' && os !== 'windows') return next();
      return this.serve(os, req, res);
    });
    return router;
  }

  private mac(payload: Uint8Array): Buffer {
    return createHmac('sha256', this.key).update(trailerMacInput(payload)).digest();
  }

  /** Which token the request asks to carry, checked now. */
  private async carried(req: Request): Promise<Pick<AppletTrailerPayload, 'kind' | 'token' | 'expiresAt'>> {
    const given = (Object.keys(PARAMS) as Param[]).filter((p) => req.query[p] !== undefined);
    if (given.length === 0) return { kind: 'none', token: null, expiresAt: null };
    if (given.length > 1) throw new RescueError('INVALID_MESSAGE', 'Give one of ?token= or ?adhoc=, not both.');
    const param = given[0]!;
    const token = tokenSchema.safeParse(req.query[param]);
    const found = token.success ? await this.lookups.get(param)?.(token.data) : null;
    if (!token.success || !found) throw new RescueError(INVALID[param], 'This download link is no longer valid: go back to the support page and download the app again.');
    return { kind: PARAMS[param], token: token.data, expiresAt: found.expiresAt };
  }

  private async serve(os: AppletOs, req: Request, res: Response): Promise<void> {
    const carried = await this.carried(req);
    const name = APPLET_FILES[os];
    const handle = await open(path.join(this.agentRoot, name), 'r').catch(() => null);
    if (!handle) {
      res.status(503).type('text/plain').send(`The ${os === 'linux' ? 'Linux' : 'Windows'} support app is not built on this server: run \`npm run build\`.\n`);
      return;
    }
    try {
      const { size } = await handle.stat();
      const trailer = this.trailer({ v: 1, server: this.ctx.publicUrl, ...carried, issuedAt: this.ctx.clock.now() });
      res.status(200);
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
      res.setHeader('Content-Length', String(size + trailer.byteLength));
      // The file carries a token: no cache may keep it.
      res.setHeader('Cache-Control', 'no-store');
      this.ctx.logger.info({ os, kind: carried.kind }, 'applet downloaded');
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const stream = handle.createReadStream({ autoClose: false });
      res.once('close', () => stream.destroy());
      await new Promise<void>((resolve) => {
        stream.once('error', () => {
          res.destroy();
          resolve();
        });
        stream.once('end', () => {
          res.end(trailer);
          resolve();
        });
        // A client that went away: the stream is destroyed above and ends here.
        stream.once('close', () => resolve());
        stream.pipe(res, { end: false });
      });
    } finally {
      await handle.close();
    }
  }
}
