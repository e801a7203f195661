import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig, logOutputFor } from '../../signaling/config.ts';

const fails = (env: Record<string, string>, variable: string): void => {
  expect(() => loadConfig(env)).to.throw(ConfigError).with.property('variable', variable);
};

describe('signaling/config', () => {
  it('has the documented defaults and is frozen', () => {
    const config = loadConfig({});
    expect(config).to.include({
      port: 8080,
      host: '127.0.0.1',
      tls: null,
      codeTtlSeconds: 600,
      reconnectGraceSeconds: 30,
      heartbeatMs: 15_000,
      turnTtlSeconds: 3600,
      forceRelay: false,
      publicUrl: null,
    });
    expect(config.databasePath).to.equal(path.resolve('data/relay-rescue.db'));
    expect(config.smtp.outboxDir).to.equal(path.resolve('data/outbox'));
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.smtp)).to.equal(true);
  });

  it('names the variable that is wrong', () => {
    fails({ PORT: 'eighty' }, 'PORT');
    fails({ PORT: '70000' }, 'PORT');
    fails({ TLS_CERT_FILE: 'cert.pem' }, 'TLS_KEY_FILE');
    fails({ TLS_KEY_FILE: 'key.pem' }, 'TLS_CERT_FILE');
    fails({ HOST: '0.0.0.0' }, 'HOST');
    fails({ TURN_URLS: 'turn:relay.example:3478' }, 'TURN_SECRET');
    fails({ TURN_URLS: 'http://relay.example', TURN_SECRET: 'x' }, 'TURN_URLS');
    fails({ STUN_URLS: 'turn:relay.example' }, 'STUN_URLS');
    fails({ FORCE_RELAY: '1' }, 'FORCE_RELAY');
    fails({ FORCE_RELAY: 'maybe' }, 'FORCE_RELAY');
    fails({ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL');
    fails({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    fails({ CODE_TTL_SECONDS: '1' }, 'CODE_TTL_SECONDS');
  });

  it('has the documented defaults for the security limits', () => {
    expect(loadConfig({})).to.include({
      trustProxy: 0,
      loginLockoutAfter: 5,
      loginIpLockoutAfter: 20,
      loginLockoutSeconds: 900,
      loginSlowdownAfter: 5,
      loginSlowdownMaxSeconds: 60,
      codeSlowdownAfter: 3,
      codeLockoutAfter: 10,
      codeLockoutSeconds: 900,
      codeGlobalFailuresPerMinute: 200,
      codesPerTechnician: 20,
      customerAuthTimeoutSeconds: 15,
      unauthSocketsPerAddress: 20,
      unauthSocketsTotal: 1000,
    });
  });

  it('reads TRUST_PROXY as a number of proxies or a boolean', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).to.equal(1);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).to.equal(1);
    expect(loadConfig({ TRUST_PROXY: 'off' }).trustProxy).to.equal(0);
    expect(loadConfig({ TRUST_PROXY: '3' }).trustProxy).to.equal(3);
    fails({ TRUST_PROXY: '11' }, 'TRUST_PROXY');
    fails({ TRUST_PROXY: 'nginx' }, 'TRUST_PROXY');
    fails({ UNAUTH_SOCKETS_PER_ADDRESS: '50', UNAUTH_SOCKETS_TOTAL: '10' }, 'UNAUTH_SOCKETS_PER_ADDRESS');
    fails({ CODES_PER_TECHNICIAN: '0' }, 'CODES_PER_TECHNICIAN');
    fails({ CUSTOMER_AUTH_TIMEOUT_SECONDS: 'soon' }, 'CUSTOMER_AUTH_TIMEOUT_SECONDS');
  });

  it('allows plain HTTP on a public address only with ALLOW_INSECURE_HTTP=1', () => {
    expect(loadConfig({ HOST: '0.0.0.0', ALLOW_INSECURE_HTTP: '1' }).host).to.equal('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0', TLS_CERT_FILE: 'c.pem', TLS_KEY_FILE: 'k.pem' }).tls).to.deep.equal({ certFile: 'c.pem', keyFile: 'k.pem' });
  });

  it('parses lists and the memory database', () => {
    const config = loadConfig({
      DATABASE_PATH: ':memory:',
      STUN_URLS: 'stun:a.example:3478, stun:b.example',
      TURN_URLS: 'turn:r.example:3478?transport=udp,turns:r.example:5349',
      TURN_SECRET: 'secret',
      FORCE_RELAY: 'true',
      ALLOWED_ORIGINS: 'https://support.example.com/, http://localhost:5173',
      PUBLIC_URL: 'https://support.example.com/path',
    });
    expect(config.databasePath).to.equal(':memory:');
    expect(config.stunUrls).to.deep.equal(['stun:a.example:3478', 'stun:b.example']);
    expect(config.turnUrls).to.have.length(2);
    expect(config.forceRelay).to.equal(true);
    expect(config.allowedOrigins).to.deep.equal(['https://support.example.com', 'http://localhost:5173']);
    expect(config.publicUrl).to.equal('https://support.example.com');
  });
});

describe('signaling/config: log output (issue 15)', () => {
  it('LOG_FORMAT=auto (the default) is readable on a terminal and JSON elsewhere; pretty and json force it; NO_COLOR drops colours', () => {
    expect(logOutputFor(loadConfig({}), true)).to.deep.equal({ format: 'pretty', colour: true });
    expect(logOutputFor(loadConfig({}), false)).to.deep.equal({ format: 'json', colour: false });
    expect(logOutputFor(loadConfig({ LOG_FORMAT: 'json' }), true)).to.deep.equal({ format: 'json', colour: false });
    expect(logOutputFor(loadConfig({ LOG_FORMAT: 'pretty' }), false)).to.deep.equal({ format: 'pretty', colour: false });
    expect(logOutputFor(loadConfig({ NO_COLOR: '1' }), true)).to.deep.equal({ format: 'pretty', colour: false });
    fails({ LOG_FORMAT: 'yaml' }, 'LOG_FORMAT');
  });
});

describe('signaling/config: scale-out (issue 17)', () => {
  it('leaves REDIS_URL and DATABASE_URL unset by default: one process, in memory, on SQLite', () => {
    expect(loadConfig({})).to.include({ redisUrl: null, databaseUrl: null });
  });

  it('takes a redis:// or rediss:// REDIS_URL whole, and names the variable of a bad one without repeating a password', () => {
    expect(loadConfig({ REDIS_URL: 'redis://:s3cret@127.0.0.1:6379/2' }).redisUrl).to.equal('redis://:s3cret@127.0.0.1:6379/2');
    expect(loadConfig({ REDIS_URL: 'rediss://cache.example:6380' }).redisUrl).to.equal('rediss://cache.example:6380');
    fails({ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL');
    fails({ REDIS_URL: 'not a url' }, 'REDIS_URL');
    expect(() => loadConfig({ REDIS_URL: 'http://u:s3cret@127.0.0.1' })).to.throw(ConfigError).with.property('message').that.does.not.contain('s3cret');
  });

  it('takes a postgres:// or postgresql:// DATABASE_URL whole, and refuses another scheme, a missing database or host, without repeating a password', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/relay' }).databaseUrl).to.equal('postgres://u:p@127.0.0.1:5432/relay');
    expect(loadConfig({ DATABASE_URL: 'postgresql://db.example/relay?sslmode=require' }).databaseUrl).to.equal('postgresql://db.example/relay?sslmode=require');
    expect(() => loadConfig({ DATABASE_URL: 'mysql://127.0.0.1/relay' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.contains('must start with postgres:// or postgresql://');
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u:s3cret@127.0.0.1:5432' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.contains('DATABASE_URL: names no database')
      .and.does.not.contain('s3cret');
    fails({ DATABASE_URL: 'not a url' }, 'DATABASE_URL');
  });
});
