import { describe, expect, it } from 'vitest';
import { ApiProblem, createStrataClient, unwrap } from '../src/index.js';

/** The requests a client sent, answered in turn by `answers`. */
function recorder(...answers: Response[]) {
  const sent: Request[] = [];
  const fetch = async (request: Request) => {
    sent.push(request);
    const answer = answers.shift();
    if (!answer) throw new Error('no answer left');
    return answer;
  };
  return { sent, fetch };
}

const json = (status: number, body: unknown, type = 'application/json', headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type, ...headers } });

describe('createStrataClient', () => {
  it('sends the bearer token, asked before every request', async () => {
    let token = 'first';
    const net = recorder(json(200, { id: 'u', email: 'a@example.test', displayName: 'A' }), json(200, { items: [] }));
    const client = createStrataClient({ baseUrl: 'http://127.0.0.1:1', fetch: net.fetch, getToken: () => token });
    await client.GET('/api/v1/me');
    token = 'second';
    await client.GET('/api/v1/sessions');
    expect(net.sent.map((r) => r.headers.get('authorization'))).toEqual(['Bearer first', 'Bearer second']);
    expect(net.sent.map((r) => new URL(r.url).pathname)).toEqual(['/api/v1/me', '/api/v1/sessions']);
  });

  it('keeps an authorization header the call names itself, and sends none without a token', async () => {
    const net = recorder(json(200, {}), json(200, {}));
    await createStrataClient({ baseUrl: 'http://127.0.0.1:1', fetch: net.fetch, token: 'fixed' }).GET('/api/v1/me', { headers: { authorization: 'Bearer own' } });
    await createStrataClient({ baseUrl: 'http://127.0.0.1:1', fetch: net.fetch }).GET('/api/v1/me');
    expect(net.sent.map((r) => r.headers.get('authorization'))).toEqual(['Bearer own', null]);
  });

  it('puts path and query parameters where the document says', async () => {
    const net = recorder(json(200, { items: [], nextCursor: null }));
    const client = createStrataClient({ baseUrl: 'http://127.0.0.1:1', fetch: net.fetch, token: 't' });
    await client.GET('/api/v1/files', { params: { query: { limit: 5, sort: 'name', q: 'a b' } } });
    const url = new URL(net.sent[0]!.url);
    expect(url.pathname).toBe('/api/v1/files');
    expect(Object.fromEntries(url.searchParams)).toEqual({ limit: '5', sort: 'name', q: 'a b' });
  });
});

describe('ApiProblem', () => {
  it('carries a problem+json answer: status, type, title, detail, Retry-After', async () => {
    const problem = { type: 'rate-limited', title: 'Too many requests', status: 429, detail: 'Slow down.' };
    const net = recorder(json(429, problem, 'application/problem+json', { 'retry-after': '7' }));
    const result = await createStrataClient({ baseUrl: 'http://127.0.0.1:1', fetch: net.fetch }).POST('/api/v1/auth/login', { body: { email: 'a', password: 'b' } });
    const error = (() => {
      try {
        unwrap(result);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ApiProblem);
    expect(error).toMatchObject({ status: 429, type: 'rate-limited', title: 'Too many requests', detail: 'Slow down.', retryAfter: 7, message: 'Slow down.' });
  });

  it('keeps the status of an answer that is not a problem', async () => {
    const answer = new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html' } });
    const problem = await ApiProblem.fromResponse(answer);
    expect(problem).toMatchObject({ status: 502, type: 'about:blank', title: 'Bad Gateway', detail: undefined, retryAfter: undefined });
  });

  it('gives the data of a 2xx answer', async () => {
    const net = recorder(json(200, { id: 'u', email: 'a@example.test', displayName: 'A' }));
    const me = unwrap(await createStrataClient({ baseUrl: 'http://127.0.0.1:1', fetch: net.fetch }).GET('/api/v1/me'));
    expect(me.email).toBe('a@example.test');
  });
});
