import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Cleanup } from '../../agent/cleanup.ts';
import { diskSinkFactory } from '../../agent/files/disk-sink.ts';
import { memorySource } from '../../rtc/memory-file.ts';
import { createTechnician, loginCookie, startTestServer, type RunningServer } from '../../testkit/server.ts';
import { until } from '../../testkit/wait.ts';
import { chatRoundTrip, enginePair, type EnginePair } from './lib/engines.ts';
import { report } from './lib/report.ts';

/** The download folder: a tmpfs of this size, mounted by the test. */
const DISK_BYTES = 1024 * 1024;

describe('faults: the customer’s download folder fills up', function () {
  this.timeout(60_000);
  // Made in the hook, so a describe that --grep skips leaves no folder behind.
  let root = '';
  let downloads = '';
  let mounted = false;
  let server: RunningServer;
  let pair: EnginePair | null = null;
  const cleanup = new Cleanup();

  before(async function () {
    root = mkdtempSync(path.join(tmpdir(), 'rr-disk-'));
    downloads = path.join(root, 'downloads');
    execFileSync('mkdir', ['-p', downloads]);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES},mode=0700`, 'tmpfs', downloads], { stdio: 'pipe' });
      mounted = true;
    } catch (error) {
      // Mounting needs root (CI runs as root); say so rather than pass unseen.
      report('disk full', { skipped: `cannot mount a tmpfs here (${String(error).split('\n')[0]})` });
      this.skip();
    }
    server = await startTestServer({}, { plugins: [] });
    await createTechnician(server, { email: 'disk@example.test', password: 'password-disk-full', name: 'Disk' });
  });
  after(async () => {
    pair?.close();
    cleanup.runNow();
    await server?.close();
    if (mounted) execFileSync('umount', [downloads]);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('a file larger than the free space stops with DISK_FULL on both sides, the partial file is removed, the session goes on', async () => {
    const cookie = await loginCookie(server, 'disk@example.test', 'password-disk-full');
    pair = await enginePair({ wsUrl: server.wsUrl, origin: server.publicUrl }, cookie, { grant: ['files'], files: { sinkFactory: diskSinkFactory(downloads, cleanup) } });
    const { tech, cust } = pair;
    tech.requestPermission('files');
    await until(() => tech.permissions.isGranted('files'), 'files granted', 10_000);
    const custResults: { ok: boolean; code?: string; message?: string }[] = [];
    cust.files.on('finished', (r) => custResults.push(r));

    const big = await tech.sendFile(memorySource('too-big.bin', randomBytes(4 * DISK_BYTES))).done;
    await until(() => custResults.length === 1, 'the customer’s side finishing', 10_000);
    // The partial file is removed as the transfer fails (bounded wait: removal follows the event).
    await until(() => readdirSync(downloads).length === 0, 'the partial file removed', 5000).catch(() => undefined);
    const left = readdirSync(downloads);
    const chat = await chatRoundTrip(tech, cust, 'still connected after the full disk');
    // The session goes on: a file that fits arrives whole.
    const small = await tech.sendFile(memorySource('fits.bin', randomBytes(64 * 1024))).done;
    const techLog = tech.log.entries().map((e) => e.text);
    const custLog = cust.log.entries().map((e) => e.text);
    report('disk full', {
      'download folder': `tmpfs ${DISK_BYTES / 1024} KiB`,
      'file sent KiB': (4 * DISK_BYTES) / 1024,
      'technician saw': big.ok ? 'ok' : big.code,
      'customer saw': custResults[0]?.ok ? 'ok' : String(custResults[0]?.code),
      'files left after': left.length,
      'chat after ms': chat.toFixed(0),
      'small file after': small.ok ? 'verified' : small.code,
    });
    expect(big.ok ? 'ok' : big.code, 'the technician’s side').to.equal('DISK_FULL');
    expect(custResults[0]?.ok ? 'ok' : custResults[0]?.code, 'the customer’s side').to.equal('DISK_FULL');
    expect(techLog.some((t) => /too-big\.bin failed: The disk of the download folder is full/.test(t)), techLog.join('\n')).to.equal(true);
    expect(custLog.some((t) => /too-big\.bin failed: The disk of the download folder is full/.test(t)), custLog.join('\n')).to.equal(true);
    expect(left, 'nothing of the big file is left').to.deep.equal([]);
    expect(small.ok, 'a file that fits arrives afterwards').to.equal(true);
    expect(readdirSync(downloads)).to.deep.equal(['fits.bin']);
  });
});
