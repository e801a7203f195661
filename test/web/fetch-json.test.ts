import { expect } from 'chai';
import { meHttpSchema } from '../../protocol/http.ts';
import { ApiError, fetchJson, type FetchLike } from '../../web/shared/fetch-json.ts';

function replying(status: number, body: unknown): FetchLike {
  return async () => ({ ok: status < 400, status, statusText: 'Status text', json: async () => body });
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('fetchJson (web/shared/fetch-json.ts)', () => {
  const me = { id: 'a1', email: 'tech@example.test', name: 'Tech', isAdmin: false };

  it('returns the reply parsed by its schema', async () => {
    expect(await fetchJson(meHttpSchema, '/api/me', {}, replying(200, me))).to.deep.equal(me);
  });

  it('throws the catalogue code and message of a failed reply', async () => {
    const err = await failure(fetchJson(meHttpSchema, '/api/me', {}, replying(401, { error: { code: 'UNAUTHENTICATED', message: 'Log in first.' } })));
    expect([err.code, err.message, err.status]).to.deep.equal(['UNAUTHENTICATED', 'Log in first.', 401]);
  });

  it('answers HTTP_<status> when a failed reply carries no catalogue code', async () => {
    const err = await failure(fetchJson(meHttpSchema, '/api/me', {}, replying(502, { error: { code: 'MADE_UP', message: 'x' } })));
    expect([err.code, err.message]).to.deep.equal(['HTTP_502', 'Status text']);
  });

  it('refuses a reply that does not match its schema', async () => {
    const err = await failure(fetchJson(meHttpSchema, '/api/me', {}, replying(200, { ...me, isAdmin: 'yes' })));
    expect(err.code).to.equal('INVALID_MESSAGE');
  });
});
