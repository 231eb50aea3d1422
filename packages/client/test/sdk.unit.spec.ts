import { describe, expect, it } from 'vitest';
import { UserSession, clientCredentials, createStrataClient, paginate, retryAfterMs, retryingFetch, unwrap } from '../src/index.js';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers } });

/** A fetch that answers in turn and records what it was sent (its bodies read). */
function recorder(...answers: (Response | Error)[]) {
  const sent: { method: string; url: string; headers: Headers; body: string }[] = [];
  const fetch = async (request: Request) => {
    sent.push({ method: request.method, url: request.url, headers: request.headers, body: await request.text() });
    const answer = answers.shift();
    if (!answer) throw new Error('no answer left');
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { sent, fetch };
}

const noSleep = () => {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
};

describe('retries', () => {
  it('waits what Retry-After says after a 429 or 503, then gives the answer', async () => {
    const net = recorder(json(429, { status: 429 }, { 'retry-after': '2' }), json(503, { status: 503 }, { 'retry-after': '1' }), json(200, { ok: true }));
    const clock = noSleep();
    const send = retryingFetch(net.fetch, { sleep: clock.sleep });
    const answer = await send(new Request('http://h/api/v1/files'));
    expect(answer.status).toBe(200);
    expect(clock.waits).toEqual([2000, 1000]);
    expect(net.sent).toHaveLength(3);
  });

  it('backs off exponentially with jitter when no Retry-After is given, up to the attempts allowed', async () => {
    const net = recorder(json(503, {}), json(503, {}), json(503, {}), json(503, {}));
    const clock = noSleep();
    const answer = await retryingFetch(net.fetch, { sleep: clock.sleep, random: () => 1, baseDelayMs: 100 })(new Request('http://h/x'));
    expect(answer.status).toBe(503);
    expect(clock.waits).toEqual([100, 200, 400]);
    expect(net.sent).toHaveLength(4);
  });

  it('does not retry a POST without an Idempotency-Key, nor another status', async () => {
    const clock = noSleep();
    const post = recorder(json(503, {}));
    expect((await retryingFetch(post.fetch, { sleep: clock.sleep })(new Request('http://h/x', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }))).status).toBe(503);
    expect(post.sent).toHaveLength(1);
    const other = recorder(json(500, {}), json(502, {}));
    expect((await retryingFetch(other.fetch, { sleep: clock.sleep })(new Request('http://h/x'))).status).toBe(500);
    expect(other.sent).toHaveLength(1);
    expect(clock.waits).toEqual([]);
  });

  it('retries a POST with an Idempotency-Key, sending the same body each time', async () => {
    const net = recorder(json(429, {}, { 'retry-after': '0' }), json(201, {}));
    const request = new Request('http://h/x', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' } });
    expect((await retryingFetch(net.fetch, { sleep: noSleep().sleep })(request)).status).toBe(201);
    expect(net.sent.map((s) => [s.body, s.headers.get('idempotency-key')])).toEqual([['{"a":1}', 'k1'], ['{"a":1}', 'k1']]);
  });

  it('never replays a streamed body (an upload), whatever the method', async () => {
    const net = recorder(json(503, {}));
    const request = new Request('http://h/api/v1/files/x/content', { method: 'PUT', body: new Uint8Array(10), headers: { 'content-type': 'application/octet-stream' } });
    expect((await retryingFetch(net.fetch, { sleep: noSleep().sleep })(request)).status).toBe(503);
    expect(net.sent).toHaveLength(1);
  });

  it('gives a Retry-After longer than it would wait back at once', async () => {
    const net = recorder(json(429, {}, { 'retry-after': '3600' }));
    const clock = noSleep();
    expect((await retryingFetch(net.fetch, { sleep: clock.sleep })(new Request('http://h/x'))).status).toBe(429);
    expect(clock.waits).toEqual([]);
  });

  it('retries a network failure of an idempotent call, and throws it after the last attempt', async () => {
    const net = recorder(new TypeError('fetch failed'), json(200, {}));
    expect((await retryingFetch(net.fetch, { sleep: noSleep().sleep, random: () => 0 })(new Request('http://h/x'))).status).toBe(200);
    const down = recorder(new TypeError('a'), new TypeError('b'));
    await expect(retryingFetch(down.fetch, { sleep: noSleep().sleep, attempts: 2 })(new Request('http://h/x'))).rejects.toThrow('b');
  });

  it('reads Retry-After as seconds or an HTTP date, and nothing else', () => {
    const now = Date.parse('2026-12-02T05:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Wed, 02 Dec 2026 05:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 02 Dec 2026 04:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('-3', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('client credentials', () => {
  it('asks the token endpoint with HTTP Basic, keeps the token until shortly before it expires, shares one request', async () => {
    let now = 1_000_000;
    const net = recorder(json(200, { access_token: 'a1', token_type: 'Bearer', expires_in: 900, scope: 'files:read' }), json(200, { access_token: 'a2', token_type: 'Bearer', expires_in: 900, scope: 'files:read' }));
    const source = clientCredentials({ baseUrl: 'http://h', clientId: 'id:1', clientSecret: 's&2', scope: 'files:read', fetch: net.fetch, now: () => now });
    expect(await Promise.all([source.token(), source.token()])).toEqual(['a1', 'a1']);
    expect(net.sent).toHaveLength(1);
    const sent = net.sent[0]!;
    expect(sent.url).toBe('http://h/api/v1/auth/token');
    expect(Buffer.from(sent.headers.get('authorization')!.slice(6), 'base64').toString()).toBe('id%3A1:s%262');
    expect(Object.fromEntries(new URLSearchParams(sent.body))).toEqual({ grant_type: 'client_credentials', scope: 'files:read' });
    now += 850_000; // 50 s left: still used
    expect(await source.token()).toBe('a1');
    now += 30_000; // 20 s left: renewed
    expect(await source.token()).toBe('a2');
  });

  it('throws the endpoint refusal as a problem', async () => {
    const net = recorder(json(401, { type: 'about:blank', title: 'Unauthorized', status: 401, error: 'invalid_client' }));
    await expect(clientCredentials({ baseUrl: 'http://h', clientId: 'x', clientSecret: 'y', fetch: net.fetch }).token()).rejects.toMatchObject({ status: 401, problem: { error: 'invalid_client' } });
  });

  it('renews once after a 401 and sends the call again with the new token', async () => {
    const net = recorder(
      json(200, { access_token: 'old', token_type: 'Bearer', expires_in: 900, scope: '' }),
      json(401, { status: 401, title: 'Unauthorized', type: 'about:blank' }),
      json(200, { access_token: 'new', token_type: 'Bearer', expires_in: 900, scope: '' }),
      json(200, { items: [], nextCursor: null }),
    );
    const auth = clientCredentials({ baseUrl: 'http://h', clientId: 'x', clientSecret: 'y', fetch: net.fetch });
    const strata = createStrataClient({ baseUrl: 'http://h', fetch: net.fetch, auth });
    unwrap(await strata.GET('/api/v1/files'));
    expect(net.sent.map((s) => `${new URL(s.url).pathname} ${s.headers.get('authorization')?.slice(0, 12) ?? ''}`)).toEqual([
      '/api/v1/auth/token Basic eDp5',
      '/api/v1/files Bearer old',
      '/api/v1/auth/token Basic eDp5',
      '/api/v1/files Bearer new',
    ]);
  });
});

describe('user sessions', () => {
  const cookie = (value: string) => ({ 'set-cookie': `strata_refresh=${value}; Path=/api/v1/auth; HttpOnly; SameSite=Strict` });

  it('signs in, sends the rotated refresh cookie on each renewal, and reports every rotation', async () => {
    let now = 0;
    const kept: (string | undefined)[] = [];
    const net = recorder(
      json(200, { accessToken: 't1', tokenType: 'Bearer', expiresIn: 900 }, cookie('r1')),
      json(200, { accessToken: 't2', tokenType: 'Bearer', expiresIn: 900 }, cookie('r2')),
      json(200, { accessToken: 't3', tokenType: 'Bearer', expiresIn: 900 }, cookie('r3')),
    );
    const session = await UserSession.login({ baseUrl: 'http://h', email: 'a@b.c', password: 'pw', fetch: net.fetch, now: () => now, onRefreshToken: (t) => void kept.push(t) });
    expect(await session.token()).toBe('t1');
    now += 880_000;
    // two callers at once renew once: presenting r1 twice would end the session
    expect(await Promise.all([session.token(), session.token()])).toEqual(['t2', 't2']);
    expect(await session.renew()).toBe(true);
    expect(await session.token()).toBe('t3');
    expect(net.sent.map((s) => [new URL(s.url).pathname, s.headers.get('cookie')])).toEqual([
      ['/api/v1/auth/login', null],
      ['/api/v1/auth/refresh', 'strata_refresh=r1'],
      ['/api/v1/auth/refresh', 'strata_refresh=r2'],
    ]);
    expect(JSON.parse(net.sent[0]!.body)).toEqual({ email: 'a@b.c', password: 'pw' });
    expect(kept).toEqual(['r1', 'r2', 'r3']);
  });

  it('says a renewal failed when the session has ended, and a wrong password is a problem', async () => {
    const ended = recorder(json(401, { status: 401, title: 'Unauthorized', type: 'about:blank' }, { 'set-cookie': 'strata_refresh=; Path=/api/v1/auth; Max-Age=0' }));
    await expect(UserSession.resume({ baseUrl: 'http://h', refreshToken: 'stale', fetch: ended.fetch })).rejects.toMatchObject({ status: 401 });
    const wrong = recorder(json(401, { status: 401, title: 'Unauthorized', type: 'about:blank', detail: 'Wrong email or password.' }));
    await expect(UserSession.login({ baseUrl: 'http://h', email: 'a', password: 'b', fetch: wrong.fetch })).rejects.toMatchObject({ status: 401, detail: 'Wrong email or password.' });
  });
});

describe('paginate', () => {
  it('follows nextCursor page by page, only as far as the loop reads', async () => {
    const net = recorder(json(200, { items: [1, 2], nextCursor: 'c2' }), json(200, { items: [3], nextCursor: 'c3' }), json(200, { items: [4], nextCursor: null }));
    const strata = createStrataClient({ baseUrl: 'http://h', fetch: net.fetch, token: 't' });
    const seen: unknown[] = [];
    for await (const item of paginate((cursor) => strata.GET('/api/v1/activity', { params: { query: { cursor } } }))) {
      seen.push(item);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(net.sent.map((s) => new URL(s.url).searchParams.get('cursor'))).toEqual([null, 'c2']);
  });

  it('throws an error page as a problem, and stops on a cursor it has seen', async () => {
    const failing = recorder(json(400, { status: 400, title: 'Bad Request', type: 'invalid-cursor' }));
    const strata = createStrataClient({ baseUrl: 'http://h', fetch: failing.fetch, token: 't' });
    const read = async (s: typeof strata) => {
      const all: unknown[] = [];
      for await (const item of paginate((cursor) => s.GET('/api/v1/activity', { params: { query: { cursor } } }))) all.push(item);
      return all;
    };
    await expect(read(strata)).rejects.toMatchObject({ status: 400, type: 'invalid-cursor' });
    const looping = recorder(json(200, { items: [1], nextCursor: 'same' }), json(200, { items: [2], nextCursor: 'same' }));
    expect(await read(createStrataClient({ baseUrl: 'http://h', fetch: looping.fetch, token: 't' }))).toEqual([1, 2]);
  });
});
