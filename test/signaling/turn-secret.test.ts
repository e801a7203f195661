import { chmodSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../signaling/config.ts';
import { buildIceConfig } from '../../signaling/ice-config.ts';
import { TurnSecretFile } from '../../signaling/turn-secret.ts';
import { mintTurnCredentials } from '../../turn/credentials.ts';
import { until } from '../../testkit/wait.ts';

const OLD = 'old-secret-0123456789abcdef';
const NEW = 'new-secret-fedcba9876543210';

describe('signaling/turn-secret: TURN_SECRET_FILE', () => {
  let dir: string;
  let file: string;
  const write = (text: string, mode = 0o600): void => {
    writeFileSync(file, text, { mode });
    chmodSync(file, mode);
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rr-turn-secret-'));
    file = path.join(dir, 'turn-secret');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const refused = (text: string | null, mode: number, pattern: RegExp): void => {
    if (text !== null) write(text, mode);
    let error: unknown;
    try {
      loadConfig({ TURN_URLS: 'turn:127.0.0.1:3478', TURN_SECRET_FILE: file });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).variable).to.equal('TURN_SECRET_FILE');
    expect((error as Error).message).to.match(pattern);
  };

  it('is checked at start: missing, empty, readable by others, too short, placeholder, a space: a ConfigError naming TURN_SECRET_FILE', () => {
    refused(null, 0o600, /cannot be read \(ENOENT\)/);
    refused('\n\n', 0o600, /is empty/);
    refused(`${OLD}\n`, 0o640, /readable by other users \(mode 640\).*chmod 600/);
    refused(`${OLD}\n`, 0o604, /readable by other users \(mode 604\)/);
    refused('short\n', 0o600, /line 1 is too short/);
    refused('CHANGE_ME_openssl_rand_hex_32\n', 0o600, /placeholder/);
    refused(`${OLD} x\n`, 0o600, /spaces/);
    write(`${OLD}\n`);
    expect(() => loadConfig({ TURN_URLS: 'turn:127.0.0.1:3478', TURN_SECRET_FILE: file, TURN_SECRET: OLD })).to.throw(ConfigError, /not both/);
  });

  it('mints with the first line; later lines (older secrets coturn still accepts) are not used by the server', () => {
    write(`${NEW}\r\n${OLD}\n`);
    const config = loadConfig({ TURN_URLS: 'turn:127.0.0.1:3478', TURN_SECRET_FILE: file });
    const ice = buildIceConfig(config, { sessionId: 's1', role: 'customer', forceRelay: false }, 1_000_000);
    const turn = ice.iceServers.find((s) => s.username !== undefined)!;
    expect(turn.credential).to.equal(mintTurnCredentials(NEW, 's1-customer', 3600, 1_000_000).credential);
  });

  it('a rewritten file is used at the next mint, with no watcher running (the stat check)', () => {
    write(`${OLD}\n`);
    const source = new TurnSecretFile(file);
    expect(source.current()).to.equal(OLD);
    write(`${NEW}\n`);
    expect(source.current()).to.equal(NEW);
    // An atomic replace (write elsewhere, rename over) is a new inode: seen too.
    writeFileSync(`${file}.tmp`, `${OLD}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    expect(source.current()).to.equal(OLD);
  });

  it('an emptied, removed, opened-up or malformed file keeps the last good secret and warns once per problem', () => {
    write(`${OLD}\n`);
    const source = new TurnSecretFile(file);
    const reports: string[] = [];
    const stop = source.watch((level, message) => reports.push(`${level}: ${message}`));
    try {
      write('');
      expect(source.current()).to.equal(OLD);
      expect(source.current()).to.equal(OLD);
      write(`${NEW}\n`, 0o644);
      expect(source.current()).to.equal(OLD);
      rmSync(file);
      expect(source.current()).to.equal(OLD);
      write('tiny\n');
      expect(source.current()).to.equal(OLD);
      write(`${NEW}\n`);
      expect(source.current()).to.equal(NEW);
    } finally {
      stop();
    }
    const warnings = reports.filter((r) => r.startsWith('warn:'));
    expect(warnings).to.have.length(4);
    expect(warnings[0]).to.match(/is empty.*still minting TURN credentials with the last good secret/);
    expect(warnings[1]).to.match(/readable by other users \(mode 644\)/);
    expect(warnings[2]).to.match(/cannot be read \(ENOENT\)/);
    expect(warnings[3]).to.match(/line 1 is too short/);
    expect(reports.at(-1)).to.match(/^info: .*changed; new TURN credentials are minted with the secret on its first line/);
    for (const r of reports) expect(r).not.to.include(NEW).and.not.to.include(OLD);
  });

  it('fs.watch reports a rotation without anyone minting', async () => {
    write(`${OLD}\n`);
    const source = new TurnSecretFile(file);
    const reports: string[] = [];
    const stop = source.watch((level, message) => reports.push(`${level}: ${message}`));
    try {
      write(`${NEW}\n${OLD}\n`);
      await until(() => reports.some((r) => r.startsWith('info:')), 'the watcher saw the change', 5000, 20);
      expect(reports.at(-1)).to.match(/1 older secret\(s\) below it are for coturn only/);
    } finally {
      stop();
    }
    expect(source.current()).to.equal(NEW);
  });
});
