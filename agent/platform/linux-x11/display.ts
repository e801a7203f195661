import x11 from 'x11';

/** The parts of the untyped `x11` client this agent uses. */
export interface XClient {
  seq_num: number;
  /** x11 4.x: a request goes out as `put(bytes)` then `submit(expectsReply)`. */
  pack_stream: { put(request: Buffer): void; submit(expectsReply?: boolean): void };
  replies: Record<number, [(buf: Buffer, opt: number) => unknown, (err: unknown, result?: unknown) => void]>;
  display: XDisplayInfo;
  AllocID(): number;
  QueryExtension(name: string, cb: (err: unknown, ext: { present: boolean; majorOpcode: number }) => void): void;
  require(name: string, cb: (err: unknown, ext: never) => void): void;
  GetImage(format: number, drawable: number, x: number, y: number, w: number, h: number, planeMask: number,
    cb: (err: unknown, img: { depth: number; data: Buffer }) => void): void;
  GetGeometry(drawable: number, cb: (err: unknown, geom: { width: number; height: number }) => void): void;
  QueryPointer(win: number, cb: (err: unknown, res: { rootX: number; rootY: number; keyMask: number }) => void): void;
  GetAtomName(atom: number, cb: (err: unknown, name: string) => void): void;
  InternAtom(onlyIfExists: boolean, name: string, cb: (err: unknown, atom: number) => void): void;
  GetKeyboardMapping(first: number, count: number, cb: (err: unknown, rows: number[][]) => void): void;
  ChangeKeyboardMapping(firstKeycode: number, keysymsPerKeycode: number, keysyms: number[]): void;
  CreateWindow(id: number, parent: number, x: number, y: number, w: number, h: number, border: number, depth: number,
    cls: number, visual: number, values: Record<string, unknown>): void;
  MapWindow(id: number): void;
  ChangeWindowAttributes(id: number, values: Record<string, unknown>): void;
  ClearArea(id: number, x: number, y: number, w: number, h: number, exposures: number): void;
  MoveWindow(id: number, x: number, y: number): void;
  DestroyWindow(id: number): void;
  SetInputFocus(win: number, revertTo?: number): void;
  GetInputFocus(cb: (err: unknown, res: unknown) => void): void;
  on(event: 'event', cb: (ev: XEvent) => void): void;
  on(event: 'error' | 'end' | 'close', cb: (err?: unknown) => void): void;
  removeListener(event: string, cb: (...args: never[]) => void): void;
  terminate(): void;
}
export interface XDisplayInfo {
  min_keycode: number;
  max_keycode: number;
  screen: { root: number; pixel_width: number; pixel_height: number; root_depth: number }[];
}
export interface XEvent {
  type: number;
  name?: string;
  keycode?: number;
  wid?: number;
  rawData?: Buffer;
  [key: string]: unknown;
}

/** An open connection to one X display. */
export interface XConnection {
  client: XClient;
  root: number;
  width: number;
  height: number;
  close(): void;
}

/** Opens a connection to `display` (":0", ":91"); rejects with a readable error. */
export function openDisplay(display: string, timeoutMs = 5000): Promise<XConnection> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`X display ${display}: no answer after ${timeoutMs} ms`)), timeoutMs);
    let settled = false;
    let client: XClient;
    try {
      client = <XClient>x11.createClient(
        { display },
        (err, raw) => {
          const info = raw as XDisplayInfo | undefined;
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          if (err || !info) return reject(new Error(`Cannot open X display ${display}: ${String(err)}`));
          const screen = info.screen[0]!;
          resolve({
            client,
            root: screen.root,
            width: screen.pixel_width,
            height: screen.pixel_height,
            close: () => {
              try {
                client.terminate();
              } catch {
                // Already closed.
              }
            },
          });
        },
      );
      client.on('error', (err) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new Error(`Cannot open X display ${display}: ${String(err)}`));
        }
      });
    } catch (err) {
      clearTimeout(timer);
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Promise form of a callback request of the `x11` client. */
export function xcall<T>(start: (cb: (err: unknown, res: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((err, res) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(res)));
  });
}

/**
 * Sends an extension request built by hand and parses its reply (the `x11`
 * package lacks RandR 1.5). `format` packs `args` little-endian as the
 * package's handshake declares: C = 8, S = 16, L = 32 bits, x = a pad byte.
 */
export function xrequest<T>(client: XClient, format: string, args: number[], parse: (buf: Buffer, opt: number) => T): Promise<T> {
  return new Promise((resolve, reject) => {
    client.seq_num++;
    client.pack_stream.put(packRequest(format, args));
    client.replies[client.seq_num] = [
      parse,
      (err, res) => {
        if (err) reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
        else resolve(res as T);
      },
    ];
    client.pack_stream.submit(true);
  });
}

function packRequest(format: string, args: readonly number[]): Buffer {
  const sizes: Record<string, number> = { C: 1, S: 2, L: 4, x: 1 };
  const buf = Buffer.alloc([...format].reduce((n, f) => n + (sizes[f] ?? 0), 0));
  let offset = 0;
  let i = 0;
  for (const f of format) {
    if (f === 'C') buf.writeUInt8(args[i++]! & 0xff, offset);
    else if (f === 'S') buf.writeUInt16LE(args[i++]! & 0xffff, offset);
    else if (f === 'L') buf.writeUInt32LE(args[i++]! >>> 0, offset);
    offset += sizes[f] ?? 0;
  }
  return buf;
}
