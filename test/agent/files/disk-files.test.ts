import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { FileTransfer } from '../../../rtc/file-transfer.ts';
import { MemorySink, memorySource } from '../../../rtc/memory-file.ts';
import { Cleanup } from '../../../agent/cleanup.ts';
import { diskSinkFactory, partPath } from '../../../agent/files/disk-sink.ts';
import { diskSource } from '../../../agent/files/disk-source.ts';
import { nodeHasher } from '../../../agent/files/node-hasher.ts';
import { candidateName, sanitizeFileName } from '../../../agent/files/sanitize-name.ts';
import { makePair, type Pair } from '../../../testkit/rtc-pair.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('agent/files: sanitizeFileName', () => {
  const cases: [string, string][] = [
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\Windows\\system.ini', 'system.ini'],
    ['/abs/path/report.pdf', 'report.pdf'],
    ['..', 'file'],
    ['.bashrc', 'bashrc'],
    ['a\u0000b\u001fc.txt', 'a_b_c.txt'],
    ['what?<>:"|*.txt', 'what_______.txt'],
    ['CON.txt', '_CON.txt'],
    ['nul', '_nul'],
    ['name. . ', 'name'],
    ['', 'file'],
    ['ok name (1).tar.gz', 'ok name (1).tar.gz'],
  ];
  for (const [raw, safe] of cases) {
    it(`${JSON.stringify(raw)} -> ${JSON.stringify(safe)}`, () => expect(sanitizeFileName(raw)).to.equal(safe));
  }
  it('limits the name to 200 UTF-8 bytes and keeps the extension', () => {
    const name = sanitizeFileName(`${'é'.repeat(300)}.txt`);
    expect(Buffer.byteLength(name)).to.be.at.most(200);
    expect(name.endsWith('.txt')).to.equal(true);
  });
  it('numbers candidates before the extension', () => {
    expect(candidateName('a.txt', 0)).to.equal('a.txt');
    expect(candidateName('a.txt', 2)).to.equal('a (2).txt');
    expect(candidateName('README', 1)).to.equal('README (1)');
  });
});

describe('agent/files: download folder over a real data channel', function () {
  this.timeout(30_000);
  let dir: string;
  let pair: Pair | null = null;
  const closers: (() => void)[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rr-agent-files-'));
  });
  afterEach(() => {
    closers.splice(0).forEach((c) => c());
    pair?.close();
    pair = null;
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(): Promise<Pair> {
    pair = makePair();
    await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
    return pair;
  }

  /** The agent's FileTransfer saving into `dir` on the customer end of `p`; returns the technician's end. Both closed after the test. */
  function toDisk(p: Pair): { tech: FileTransfer; cleanup: Cleanup } {
    const cleanup = new Cleanup();
    const agent = new FileTransfer({ sinkFactory: diskSinkFactory(dir, cleanup), hasher: nodeHasher });
    const tech = new FileTransfer({ hasher: nodeHasher });
    closers.push(() => agent.close(), () => tech.close());
    agent.attach(p.cust.filesPort());
    tech.attach(p.tech.filesPort());
    return { tech, cleanup };
  }

  it('saves under a sanitised name inside the folder, never overwriting, SHA-256 verified, no .part left', async () => {
    const { tech, cleanup } = toDisk(await connect());
    writeFileSync(join(dir, 'passwd'), 'already here');
    const data = randomBytes(300_000);
    const r1 = await tech.send(memorySource('../../etc/passwd', data)).done;
    expect(r1.ok).to.equal(true);
    expect(r1.ok && r1.savedAs).to.equal('passwd (1)');
    expect(readFileSync(join(dir, 'passwd'), 'utf8')).to.equal('already here');
    expect(sha(readFileSync(join(dir, 'passwd (1)')))).to.equal(sha(data));
    expect(existsSync('/etc/passwd (1)')).to.equal(false);
    expect(readdirSync(dir).sort()).to.deep.equal(['passwd', 'passwd (1)']);
    expect(cleanup.tracked()).to.deep.equal([]);
  });

  it('sends a file from disk to the technician with a matching SHA-256', async () => {
    const p = await connect();
    const received: MemorySink[] = [];
    const tech = new FileTransfer({
      hasher: nodeHasher,
      sinkFactory: async (offer) => {
        const sink = new MemorySink(offer.size, offer.name);
        received.push(sink);
        return sink;
      },
    });
    const agent = new FileTransfer({ hasher: nodeHasher });
    closers.push(() => agent.close(), () => tech.close());
    agent.attach(p.cust.filesPort());
    tech.attach(p.tech.filesPort());
    const data = randomBytes(500_000);
    writeFileSync(join(dir, 'log.txt'), data);
    const source = await diskSource(join(dir, 'log.txt'));
    const result = await agent.send(source).done;
    await source.close();
    expect(result.ok).to.equal(true);
    expect(sha(received[0]!.bytes())).to.equal(sha(data));
  });

  it('resumes from the verified chunks of a .part file after the agent lost the transfer', async () => {
    const p = await connect();
    const data = randomBytes(64 * 1024 * 10 + 123);
    const transferId = crypto.randomUUID();
    // An earlier attempt stored 4 whole chunks and part of a fifth.
    writeFileSync(partPath(dir, transferId), data.subarray(0, 64 * 1024 * 4 + 1000));
    const { tech } = toDisk(p);
    const result = await tech.send(memorySource('big.bin', data), { transferId }).done;
    expect(result.ok).to.equal(true);
    expect(result.ok && result.resumedFromChunk).to.equal(4);
    expect(sha(readFileSync(join(dir, 'big.bin')))).to.equal(sha(data));
    expect(existsSync(partPath(dir, transferId))).to.equal(false);
  });

  describe('a link planted at the partial file\'s name', () => {
    let outside: string;
    beforeEach(() => {
      outside = mkdtempSync(join(tmpdir(), 'rr-agent-outside-'));
    });
    afterEach(() => rmSync(outside, { recursive: true, force: true }));

    /** Sends `data` under `transferId` after `plant` put something at its .part name; returns the result. */
    async function sendOver(plant: (part: string) => void, data: Uint8Array) {
      const p = await connect();
      const transferId = crypto.randomUUID();
      plant(partPath(dir, transferId));
      const { tech, cleanup } = toDisk(p);
      const result = await tech.send(memorySource('report.txt', data), { transferId }).done;
      return { result, cleanup, part: partPath(dir, transferId) };
    }

    it('a symbolic link pointing outside the folder: the target is untouched, the transfer fails with a clear error', async () => {
      const target = join(outside, 'bashrc');
      writeFileSync(target, 'the victim\'s own file');
      const { result, part, cleanup } = await sendOver((part) => symlinkSync(target, part), randomBytes(100_000));
      expect(result.ok).to.equal(false);
      expect(!result.ok && result.message).to.match(/\.part and it is a symbolic link.*left untouched/);
      expect(readFileSync(target, 'utf8')).to.equal('the victim\'s own file');
      expect(lstatSync(part).isSymbolicLink(), 'the planted link is left as it was').to.equal(true);
      expect(readdirSync(dir)).to.deep.equal([part.split('/').pop()]);
      expect(cleanup.tracked()).to.deep.equal([]);
    });

    it('a dangling symbolic link: nothing is created at its target', async () => {
      const target = join(outside, 'created-through-the-link');
      const { result } = await sendOver((part) => symlinkSync(target, part), randomBytes(10_000));
      expect(result.ok).to.equal(false);
      expect(existsSync(target)).to.equal(false);
    });

    it('a hard link to another file: that file is untouched, the transfer fails', async () => {
      const target = join(outside, 'notes.txt');
      writeFileSync(target, 'keep me');
      const { result } = await sendOver((part) => linkSync(target, part), randomBytes(100_000));
      expect(result.ok).to.equal(false);
      expect(!result.ok && result.message).to.include('it has other hard links');
      expect(readFileSync(target, 'utf8')).to.equal('keep me');
    });
  });

  it('creates a missing download folder readable by this user only (0700)', async () => {
    const p = await connect();
    const cleanup = new Cleanup();
    const fresh = join(dir, 'Downloads', 'Relay Rescue');
    const agent = new FileTransfer({ sinkFactory: diskSinkFactory(fresh, cleanup), hasher: nodeHasher });
    const tech = new FileTransfer({ hasher: nodeHasher });
    closers.push(() => agent.close(), () => tech.close());
    agent.attach(p.cust.filesPort());
    tech.attach(p.tech.filesPort());
    const result = await tech.send(memorySource('a.txt', randomBytes(1000))).done;
    expect(result.ok).to.equal(true);
    expect(statSync(fresh).mode & 0o777).to.equal(0o700);
  });

  it('removes an unfinished .part at cleanup', async () => {
    const cleanup = new Cleanup();
    const sink = await diskSinkFactory(dir, cleanup)({
      type: 'file.offer', transferId: crypto.randomUUID(), name: 'x.bin', size: 5000, sha256: '0'.repeat(64), chunkSize: 1024,
    });
    await sink.write(0, new Uint8Array(1024));
    expect(readdirSync(dir)).to.have.length(1);
    cleanup.runNow();
    expect(readdirSync(dir)).to.deep.equal([]);
    await sink.abort('test over'); // Closes the handle (never close a FileHandle's fd behind its back).
  });
});
