import fs from 'node:fs';
import { expect } from 'chai';
import { CLOSE_CODES, ERRORS, ERROR_CODES } from '../../protocol/index.ts';

const doc = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it('lists every catalogue code once, with its HTTP status, and nothing else', () => {
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(rows).to.deep.equal(ERROR_CODES.map((code) => [code, ERRORS[code].status]));
  });

  it('lists every WebSocket close code', () => {
    const rows = [...doc.matchAll(/^\| (\d{4}) \| `([A-Z_]+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(rows).to.deep.equal(Object.entries(CLOSE_CODES));
  });
});
