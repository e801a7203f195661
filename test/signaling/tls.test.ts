import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { createTechnician, startTestServer, type RunningServer } from '../../testkit/server.ts';

/** A throwaway self-signed certificate for 127.0.0.1, made at test time (never committed). */
function makeCertificate(dir: string): { certFile: string; keyFile: string; cert: Buffer } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { certFile, keyFile, cert: readFileSync(certFile) };
}

function request(url: string, ca: Buffer, body?: unknown): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca, method: body === undefined ? 'GET' : 'POST', headers: body === undefined ? {} : { 'content-type': 'application/json', origin: new URL(url).origin } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('signaling over HTTPS/WSS (TLS_CERT_FILE, TLS_KEY_FILE)', () => {
  let dir: string;
  let server: RunningServer;
  let cert: Buffer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rr-tls-'));
    const made = makeCertificate(dir);
    cert = made.cert;
    server = await startTestServer({ TLS_CERT_FILE: made.certFile, TLS_KEY_FILE: made.keyFile }, { plugins: [] });
    await createTechnician(server, { email: 'tls@example.test', password: 'password-1234', name: 'Tia' });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /healthz over HTTPS on the one port', async () => {
    expect(server.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await request(`${server.url}/healthz`, cert);
    expect(res.status).to.equal(200);
    expect(JSON.parse(res.text)).to.include({ ok: true });
  });

  it('marks the login cookie Secure as well as HttpOnly and SameSite=Strict', async () => {
    const res = await request(`${server.url}/api/login`, cert, { email: 'tls@example.test', password: 'password-1234' });
    expect(res.status).to.equal(200);
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('rr_session='));
    expect(cookie).to.match(/;\s*Secure/i).and.match(/HttpOnly/i).and.match(/SameSite=Strict/i);
  });

  it('answers the customer WebSocket over WSS', async () => {
    expect(server.wsUrl).to.match(/^wss:/);
    const ws = new WebSocket(`${server.wsUrl}/ws/customer`, { ca: cert });
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as { type: string }));
      ws.once('error', reject);
    });
    expect(first.type).to.equal('welcome');
    ws.close();
  });

  it('refuses a client that does not trust the certificate', async () => {
    const ws = new WebSocket(`${server.wsUrl}/ws/customer`);
    const error = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(error.message).to.match(/self[- ]signed|certificate/i);
  });
});
