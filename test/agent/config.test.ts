import { expect } from 'chai';
import { loadAgentConfig, UsageError } from '../../agent/config.ts';

const env = { DISPLAY: ':5', HOME: '/home/c', USER: 'carol' };
const ok = (args: string[]): ReturnType<typeof loadAgentConfig> => loadAgentConfig(args, env);
const bad = (args: string[], message: RegExp): void => {
  expect(() => loadAgentConfig(args, env)).to.throw(UsageError, message);
};

describe('agent/config', () => {
  it('derives the customer WebSocket URL and defaults', () => {
    const c = ok(['--server', 'https://help.example.com/', '--code', '123456']);
    expect(c.wsUrl).to.equal('wss://help.example.com/ws/customer');
    expect(c).to.include({ code: '123456', token: null, fps: 'auto', videoCodec: 'auto', prompt: true, name: 'carol' });
    expect(c.platform).to.include({ id: 'linux-x11', display: ':5', capture: 'auto' });
    expect(c.downloadDir).to.equal('/home/c/Downloads/Relay Rescue');
    expect(c.autoGrant).to.deep.equal([]);
    expect(ok(['--server', 'http://127.0.0.1:8080', '--token', 'A'.repeat(24)]).wsUrl).to.equal('ws://127.0.0.1:8080/ws/customer');
  });
  it('accepts a session token that starts with a dash (base64url), with or without =', () => {
    const token = '-AbCdEfGhIjKlMnOpQrStUv';
    expect(ok(['--server', 'http://s', '--token', token]).token).to.equal(token);
    expect(ok(['--token', token, '--server', 'http://s']).token).to.equal(token);
    expect(ok(['--server', 'http://s', `--token=${token}`]).token).to.equal(token);
    bad(['--server', 'http://s', '--token', '-short'], /--token/);
  });
  it('takes the session token from RELAY_RESCUE_TOKEN, so it stays out of the process list; --code or --token on the command line wins', () => {
    const token = 'B'.repeat(24);
    const withEnv = { ...env, RELAY_RESCUE_TOKEN: token };
    expect(loadAgentConfig(['--server', 'http://s'], withEnv)).to.include({ token, code: null });
    expect(loadAgentConfig(['--server', 'http://s', '--code', '123456'], withEnv)).to.include({ token: null, code: '123456' });
    expect(() => loadAgentConfig(['--server', 'http://s'], { ...env, RELAY_RESCUE_TOKEN: 'short' })).to.throw(UsageError, /--token is not a valid session token/);
  });
  it('--yes grants everything, --auto-grant a list, --no-prompt never asks', () => {
    expect(ok(['--server', 'http://s', '--code', '000000', '--yes']).autoGrant).to.deep.equal(['view', 'control', 'files', 'clipboard']);
    expect(ok(['--server', 'http://s', '--code', '000000', '--auto-grant', 'view, files']).autoGrant).to.deep.equal(['view', 'files']);
    expect(ok(['--server', 'http://s', '--code', '000000', '--no-prompt']).prompt).to.equal(false);
  });
  it('rejects bad arguments with a message naming the option', () => {
    bad([], /--server URL is required/);
    bad(['--server', 'nope', '--code', '123456'], /--server: not a URL/);
    bad(['--server', 'ftp://s', '--code', '123456'], /http\(s\)/);
    bad(['--server', 'http://s'], /exactly one of --code or --token/);
    bad(['--server', 'http://s', '--code', '123456', '--token', 'A'.repeat(24)], /exactly one/);
    bad(['--server', 'http://s', '--code', '12345a'], /6 digits/);
    bad(['--server', 'http://s', '--token', 'x y'], /--token/);
    bad(['--server', 'http://s', '--code', '123456', '--fps', '0'], /--fps/);
    bad(['--server', 'http://s', '--code', '123456', '--fps', 'fast'], /--fps must be auto or/);
    expect(ok(['--server', 'http://s', '--code', '123456', '--fps', 'auto']).fps).to.equal('auto');
    expect(ok(['--server', 'http://s', '--code', '123456', '--fps', '15']).fps).to.equal(15);
    expect(ok(['--server', 'http://s', '--code', '123456', '--codec', 'av1']).videoCodec).to.equal('av1');
    expect(ok(['--server', 'http://s', '--code', '123456', '--codec', 'vp8']).videoCodec).to.equal('vp8');
    bad(['--server', 'http://s', '--code', '123456', '--codec', 'h264'], /--codec must be auto, vp8 or av1/);
    bad(['--server', 'http://s', '--code', '123456', '--auto-grant', 'root'], /unknown permission "root"/);
    bad(['--server', 'http://s', '--code', '123456', '--capture', 'vnc'], /--capture/);
    bad(['--server', 'http://s', '--code', '123456', '--bogus'], /bogus/);
    expect(() => loadAgentConfig(['--server', 'http://s', '--code', '123456'], {})).to.throw(UsageError, /no X display/);
  });
});
