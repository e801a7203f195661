import fs from 'node:fs';
import { expect } from 'chai';
import { CLOSE_CODES, ERRORS, ERROR_CODES } from '../../protocol/index.ts';

const doc = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it('lists every catalogue code once, with its HTTP status and close code, and nothing else', () => {
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| (\d{4}|—) \|/gm)].map((m) => [m[1], Number(m[2]), m[3] === '—' ? null : Number(m[3])]);
    expect(rows).to.deep.equal(ERROR_CODES.map((code) => [code, ERRORS[code].status, ERRORS[code].close]));
  });

  it('gives each error that ends a socket a close code from the close-code table', () => {
    const closes = new Set<number>(Object.values(CLOSE_CODES));
    for (const code of ERROR_CODES) {
      const close = ERRORS[code].close;
      if (close !== null) expect(closes.has(close), code).to.equal(true);
    }
    expect(ERRORS.UNAUTHENTICATED.close).to.equal(4001);
    expect(ERRORS.CANCELLED.close).to.equal(null);
  });

  it('lists every WebSocket close code', () => {
    const rows = [...doc.matchAll(/^\| (\d{4}) \| `([A-Z_]+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(rows).to.deep.equal(Object.entries(CLOSE_CODES));
  });
});
