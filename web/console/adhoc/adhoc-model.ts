import { checkPasswordStrength, type AdhocCreatedHttp, type AdhocSummary, type PasswordStrength } from '../../../protocol/adhoc.ts';
import { TechnicianEngine } from '../../../rtc/technician-engine.ts';
import { Store } from '../../shared/store.ts';
import { AdhocApi } from './adhoc-api.ts';
import { AdhocClient, AdhocClientError, type AdhocConnection } from './adhoc-client.ts';

/** The steps the Ad Hoc Support page shows, from the session's state. */
export const STEP_LABELS: Record<AdhocSummary['state'], string> = {
  prepared: 'Waiting for download',
  downloaded: 'Waiting for the security code',
  code_entered: 'Setting the password on the computer',
  paired: 'Activated',
  ended: 'Ended',
  expired: 'Expired',
};

/** The two ad hoc pages of the console. */
export type AdhocPage = 'support' | 'computers';

/**
 * The console's ad hoc state, outside the elements: the technician's sessions
 * (live over /ws/adhoc/technician), the one-time secrets of the session being
 * prepared, and the open connection. The password lives only here, in memory,
 * until the computer has stored its hash; it is never sent to the server.
 */
export class AdhocModel extends Store {
  sessions: AdhocSummary[] = [];
  /** Shown once, then dropped: the password, the security code and the link. */
  oneTime: { password: string | null; securityCode: string; deploymentUrl: string; delivery: AdhocCreatedHttp['delivery']; adhocId: string } | null = null;
  error: string | null = null;
  /** Which page the error belongs to (null: both, e.g. the ad hoc socket is down), so it is shown once. */
  errorPage: AdhocPage | null = null;
  busy = false;
  connection: AdhocConnection | null = null;
  /** The pairing connection's short authentication string, to compare with the number on the user's terminal. */
  pairingSas: { adhocId: string; sas: string } | null = null;
  remoteStream: MediaStream | null = null;
  /** The open connection's session: the technician engine over its (authenticated) peer. */
  engine: TechnicianEngine | null = null;
  readonly #api: AdhocApi;
  readonly #client: AdhocClient;
  #pairing = false;

  constructor(base = location.origin) {
    super();
    this.#api = new AdhocApi(base, (url, init) => fetch(url, init));
    this.#client = new AdhocClient({
      url: `${base.replace(/^http/, 'ws')}/ws/adhoc/technician`,
      RTCPeerConnection,
    });
    this.#client.on('update', (s) => this.#onUpdate(s));
  }

  async init(): Promise<void> {
    try {
      await this.#client.open();
      this.sessions = await this.#client.list();
    } catch (err) {
      this.error = (err as Error).message;
      this.errorPage = null;
    }
    this.changed();
  }

  /** The error to show on `page`, if it is that page's. */
  errorFor(page: AdhocPage): string | null {
    return this.errorPage === null || this.errorPage === page ? this.error : null;
  }

  get live(): AdhocSummary | undefined {
    return this.sessions.find((s) => ['prepared', 'downloaded', 'code_entered', 'paired'].includes(s.state));
  }

  strength(password: string): PasswordStrength {
    return checkPasswordStrength(password);
  }

  async prepare(email: string, password: string): Promise<void> {
    const strength = checkPasswordStrength(password);
    if (!strength.ok) return this.#fail(strength.problems.join(' '), 'support');
    await this.#run('support', async () => {
      const created = await this.#api.create(email);
      this.oneTime = { password, securityCode: created.securityCode, deploymentUrl: created.deploymentUrl, delivery: created.delivery, adhocId: created.session.adhocId };
      this.#upsert(created.session);
    });
  }

  async newCode(adhocId: string): Promise<void> {
    await this.#run('support', async () => {
      const fresh = await this.#api.newCode(adhocId);
      if (this.oneTime?.adhocId === adhocId) this.oneTime = { ...this.oneTime, securityCode: fresh.securityCode };
    });
  }

  /** Hides the one-time values for good. */
  dismissSecrets(): void {
    this.oneTime = null;
    this.changed();
  }

  async connect(adhocId: string, password: string): Promise<void> {
    await this.#run('computers', async () => {
      this.disconnect();
      this.#attach(await this.#client.connect(adhocId, password));
    });
  }

  disconnect(): void {
    this.connection?.close();
    this.engine?.close();
    this.connection = null;
    this.engine = null;
    this.remoteStream = null;
    this.changed();
  }

  /** The password is proven: the connection becomes a session of the technician engine, which this page shows. */
  #attach(conn: AdhocConnection): void {
    const engine = new TechnicianEngine({ RTCPeerConnection, name: 'Technician', client: 'browser', factsIntervalMs: 0 });
    engine.on('track', ({ track, streams }) => {
      if (track.kind !== 'video') return;
      this.remoteStream = streams[0] ?? new MediaStream([track]);
      this.changed();
    });
    engine.adopt(conn.peer);
    this.connection = conn;
    this.engine = engine;
    conn.peer.on('closed', () => {
      engine.close();
      if (this.connection === conn) {
        this.connection = this.remoteStream = null;
        this.engine = null;
      }
      this.changed();
    });
    this.changed();
  }

  /** Ends the ad hoc session: the computer's pairing is removed and its agent deletes its files and stops. */
  async end(adhocId: string, from: AdhocPage): Promise<void> {
    await this.#run(from, () => this.#client.end(adhocId));
  }

  #onUpdate(s: AdhocSummary): void {
    this.#upsert(s);
    const secret = this.oneTime;
    // The computer waits for its password: set it from memory over the data channel, then forget it.
    if (s.state === 'code_entered' && secret?.adhocId === s.adhocId && secret.password && !this.#pairing) {
      this.#pairing = true;
      const password = secret.password;
      void this.#client
        .connect(s.adhocId, password, {
          pairing: true,
          onSas: (sas) => {
            this.pairingSas = { adhocId: s.adhocId, sas };
            this.changed();
          },
        })
        .then((conn) => {
          this.#attach(conn);
          if (this.oneTime) this.oneTime = { ...this.oneTime, password: null };
        })
        .catch((err: unknown) => this.#fail((err as Error).message, 'support'))
        .finally(() => {
          this.#pairing = false;
          this.changed();
        });
    }
    this.changed();
  }

  #upsert(s: AdhocSummary): void {
    this.sessions = [s, ...this.sessions.filter((x) => x.adhocId !== s.adhocId)];
  }

  #fail(message: string, page: AdhocPage): void {
    this.error = message;
    this.errorPage = page;
    this.changed();
  }

  async #run(page: AdhocPage, step: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = null;
    this.errorPage = page;
    this.changed();
    try {
      await step();
    } catch (err) {
      this.error = err instanceof AdhocClientError ? err.message : String(err);
    } finally {
      this.busy = false;
      this.changed();
    }
  }
}
