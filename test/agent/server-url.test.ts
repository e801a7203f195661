import { expect } from 'chai';
import { loadAdhocConfig } from '../../agent/adhoc/cli.ts';
import { loadAgentConfig } from '../../agent/config.ts';
import { UsageError } from '../../agent/usage-error.ts';

const env = { DISPLAY: ':5', HOME: '/home/c', USER: 'carol' };
const TOKEN = 'A'.repeat(24);
const CLIS = [
  { name: 'support (agent/config.ts)', load: (server: string[]) => loadAgentConfig([...server, '--code', '123456'], env) },
  { name: 'ad hoc (agent/adhoc/cli.ts)', load: (server: string[]) => loadAdhocConfig([...server, '--adhoc', TOKEN, '--state-dir', '/tmp/rr-none'], env, false) },
];

describe('--server of the agent CLIs (agent/server-url.ts)', () => {
  for (const cli of CLIS) {
    it(`${cli.name}: the same errors, each naming the option`, () => {
      expect(() => cli.load([])).to.throw(UsageError, /^--server URL is required$/);
      expect(() => cli.load(['--server', 'nope'])).to.throw(UsageError, /^--server: not a URL: nope$/);
      expect(() => cli.load(['--server', 'ftp://s'])).to.throw(UsageError, /^--server must be an http\(s\) URL$/);
      expect(() => cli.load(['--server', 'https://help.example.com/'])).to.not.throw();
    });
  }

  it('ad hoc keeps the server as typed, without a trailing slash', () => {
    expect(loadAdhocConfig(['--server', 'https://help.example.com/', '--adhoc', TOKEN], env, false).server).to.equal('https://help.example.com');
  });
});
