import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';

/** Whether a UDP port is free on 127.0.0.1. */
export function udpPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, host, () => sock.close(() => resolve(true)));
  });
}

/** Whether a TCP port is free on 127.0.0.1. */
export function tcpPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** A port free on both UDP and TCP (TURN listens on both), from the dynamic range. */
export async function freeUdpTcpPort(avoid: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = randomInt(20000, 32000);
    if (avoid.has(port)) continue;
    if ((await udpPortFree(port)) && (await tcpPortFree(port))) return port;
  }
  throw new Error('no free UDP+TCP port found in 200 attempts');
}

/** A window of `size` consecutive free UDP ports in 49152-65535, for coturn's relay range. */
export async function freeUdpWindow(size: number): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const min = randomInt(49152, 65536 - size);
    let ok = true;
    for (let p = min; p < min + size && ok; p++) ok = await udpPortFree(p);
    if (ok) return { min, max: min + size - 1 };
  }
  throw new Error(`no window of ${size} free UDP ports found in 50 attempts`);
}
