import { randomBytes, randomUUID } from 'node:crypto';
import { type StrataClient, createStrataClient } from '@strata/client';
import { Agent, type Dispatcher, Pool, request } from 'undici';
import type { RequestKind } from './scenario.js';

/** Only this machine's loopback: a load run must never leave it. */
export function checkTarget(target: string): URL {
  const url = new URL(target);
  if (url.protocol !== 'http:' || url.hostname !== '127.0.0.1') {
    throw new Error(`refusing target ${target}: load runs drive http://127.0.0.1 only`);
  }
  return url;
}

export const PASSWORD = 'load-test password 1';
const USER_AGENT = 'strata-load/1 (undici)';
const REQUEST_TIMEOUT_MS = 10_000;

export interface LoadUser {
  email: string;
  password: string;
  token: string;
  tokenAt: number;
  cookie: string | undefined;
  /** A refresh is in flight: a second one with the same cookie would look like token theft. */
  refreshing: boolean;
  fileIds: string[];
}

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What a typed call answered, for the stats: its status and headers (the body is the call's data). */
const answerOf = (response: Response): Answer => ({ status: response.status, body: '', headers: Object.fromEntries(response.headers) });

/** The pool every measured request goes through; its size bounds requests in flight. */
export class Target {
  readonly pool: Pool;
  readonly origin: string;
  /** The typed client (@strata/client), sending through the same pool. */
  readonly api: StrataClient;

  constructor(target: string, connections: number) {
    this.origin = checkTarget(target).origin;
    this.pool = new Pool(this.origin, {
      connections,
      pipelining: 1,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: 30_000,
    });
    this.api = createStrataClient({ baseUrl: this.origin, fetch: (req) => this.fetch(req), headers: { 'user-agent': USER_AGENT } });
  }

  /** fetch over the pool: openapi-fetch builds the Request, the pool sends it (no second set of connections). */
  private async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const res = await this.pool.request({
      method: req.method as Dispatcher.HttpMethod,
      path: url.pathname + url.search,
      headers: Object.fromEntries(req.headers),
      ...(body ? { body } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
    // a 204 or 304 has no body, and a Response refuses one
    return new Response([204, 205, 304].includes(res.statusCode) ? null : bytes, { status: res.statusCode, headers });
  }

  async call(method: 'GET' | 'POST' | 'PATCH', path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
    const res = await this.pool.request({
      method,
      path,
      headers: { 'user-agent': USER_AGENT, ...headers },
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text, headers: res.headers };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function refreshCookie(headers: Answer['headers']): string | undefined {
  const raw = headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const found = all.find((c) => c.startsWith('strata_refresh='));
  return found?.split(';')[0];
}

const json = (text: string): Record<string, unknown> => {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
};

/** Set-up calls wait out a 429 (the limiter's Retry-After, bounded) instead of failing the run. */
async function patiently(call: () => Promise<Answer>, maxWaitS = 65): Promise<Answer> {
  const deadline = Date.now() + maxWaitS * 1000;
  for (;;) {
    const res = await call();
    if (res.status !== 429 || Date.now() > deadline) return res;
    const wait = Math.min(Number(res.headers['retry-after'] ?? 5) || 5, 30);
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
}

export async function registerAndSignIn(target: Target, email: string): Promise<LoadUser> {
  let problem: unknown;
  const reg = await patiently(async () => {
    const { error, response } = await target.api.POST('/api/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'Load Test' } });
    problem = error;
    return answerOf(response);
  });
  if (reg.status !== 201) throw new Error(`register ${email}: ${reg.status} ${JSON.stringify(problem).slice(0, 200)}`);
  const user: LoadUser = { email, password: PASSWORD, token: '', tokenAt: 0, cookie: undefined, refreshing: false, fileIds: [] };
  await signIn(target, user);
  return user;
}

export async function signIn(target: Target, user: LoadUser): Promise<void> {
  let token: string | undefined;
  let problem: unknown;
  const res = await patiently(async () => {
    const { data, error, response } = await target.api.POST('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
    token = data?.accessToken;
    problem = error;
    return answerOf(response);
  });
  if (res.status !== 200 || !token) throw new Error(`sign-in ${user.email}: ${res.status} ${JSON.stringify(problem).slice(0, 200)}`);
  user.token = token;
  user.tokenAt = Date.now();
  user.cookie = refreshCookie(res.headers) ?? user.cookie;
}

export function newRunId(): string {
  return `${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomUUID().slice(0, 6)}`;
}

/** A small multipart body with one part named "file". */
export function smallMultipart(bytes = 2048): { body: Buffer; contentType: string } {
  const boundary = `strata-load-${randomBytes(8).toString('hex')}`;
  const content = randomBytes(bytes);
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="load-${randomUUID().slice(0, 8)}.bin"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  return { body: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface Probe {
  available: boolean;
  reason: string;
}

/** Does the files service answer? Only then do the files kinds run; otherwise the summary says why. */
export async function probeFiles(target: Target, user: LoadUser): Promise<Probe> {
  try {
    const { data, error, response } = await target.api.GET('/api/v1/files', { params: { query: { limit: 1 } }, headers: { authorization: `Bearer ${user.token}` } });
    if (data) return { available: true, reason: 'GET /api/v1/files answered 200' };
    return { available: false, reason: `GET /api/v1/files answered ${response.status}${error?.title ? ` (${error.title})` : ''}` };
  } catch (error) {
    return { available: false, reason: `GET /api/v1/files failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Is there a live-event stream? Opens it, reads the status and content type, and closes it. */
export async function probeEvents(origin: string, user: LoadUser): Promise<Probe> {
  const controller = new AbortController();
  try {
    const res = await request(`${origin}/api/v1/events`, {
      headers: { authorization: `Bearer ${user.token}`, accept: 'text/event-stream', 'user-agent': USER_AGENT },
      signal: controller.signal,
      headersTimeout: 5_000,
    });
    const type = String(res.headers['content-type'] ?? '');
    controller.abort();
    res.body.on('error', () => undefined);
    if (res.statusCode === 200 && type.startsWith('text/event-stream')) return { available: true, reason: 'GET /api/v1/events streams' };
    return { available: false, reason: `GET /api/v1/events answered ${res.statusCode} ${type}` };
  } catch (error) {
    controller.abort();
    return { available: false, reason: `GET /api/v1/events failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export interface SseStats {
  opened: number;
  failed: number;
  events: number;
  /** Streams that ended before the run did. */
  dropped: number;
  connectMs: number[];
}

/** Holds `count` live-event streams open until `signal` aborts; counts what arrives. */
export function holdListeners(origin: string, users: readonly LoadUser[], count: number, signal: AbortSignal): { stats: SseStats; done: Promise<void> } {
  const stats: SseStats = { opened: 0, failed: 0, events: 0, dropped: 0, connectMs: [] };
  const agent = new Agent({ connections: count + 1, headersTimeout: 10_000, bodyTimeout: 0 });
  const one = async (user: LoadUser) => {
    const t0 = performance.now();
    try {
      const res = await request(`${origin}/api/v1/events`, {
        dispatcher: agent,
        headers: { authorization: `Bearer ${user.token}`, accept: 'text/event-stream', 'user-agent': USER_AGENT },
        signal,
      });
      if (res.statusCode !== 200) {
        stats.failed += 1;
        await res.body.dump();
        return;
      }
      stats.opened += 1;
      stats.connectMs.push(performance.now() - t0);
      for await (const chunk of res.body) {
        stats.events += (String(chunk).match(/^data:/gm) ?? []).length;
      }
      if (!signal.aborted) stats.dropped += 1;
    } catch {
      if (!signal.aborted) stats.failed += 1;
    }
  };
  const picked = Array.from({ length: count }, (_, i) => users[i % users.length]!);
  const done = Promise.all(picked.map(one)).then(() => agent.close());
  return { stats, done };
}

/** What a kind expects back; anything else is an error, except 429 (counted apart). */
export const EXPECTED: Record<RequestKind, readonly number[]> = {
  signin: [200],
  me: [200],
  refresh: [200],
  sessions: [200],
  jwks: [200],
  list: [200],
  'upload-small': [201],
  // 307: a download by valet key (files' default), whose bytes then come from Blob Storage;
  // 200: the proxied path (DOWNLOAD_REDIRECT=false)
  download: [200, 307],
};

export interface Sent {
  answer: Answer;
  /** Named checks (k6's check()): name to passed. */
  checks: Record<string, boolean>;
}

/** Sends one request of a kind as `user`; may change the user's token, cookie and files. */
export async function send(target: Target, kind: RequestKind, user: LoadUser): Promise<Sent> {
  const auth = { authorization: `Bearer ${user.token}` };
  const { api } = target;
  switch (kind) {
    case 'signin': {
      const { data, response } = await api.POST('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      return { answer: answerOf(response), checks: { 'signin: 200 with an access token': typeof data?.accessToken === 'string' } };
    }
    case 'me': {
      const { data, response } = await api.GET('/api/v1/me', { headers: auth });
      return { answer: answerOf(response), checks: { 'me: is the signed-in user': data?.email === user.email } };
    }
    case 'refresh': {
      user.refreshing = true;
      try {
        // JSON only: the sessions service refuses other bodies on the cookie routes (CSRF)
        const { data, response } = await api.POST('/api/v1/auth/refresh', { body: {}, headers: user.cookie ? { cookie: user.cookie } : {} });
        const answer = answerOf(response);
        if (data) {
          user.token = data.accessToken;
          user.tokenAt = Date.now();
          user.cookie = refreshCookie(answer.headers) ?? user.cookie;
        }
        return { answer, checks: { 'refresh: rotates the cookie': data !== undefined && refreshCookie(answer.headers) !== undefined } };
      } finally {
        user.refreshing = false;
      }
    }
    case 'sessions': {
      const { data, response } = await api.GET('/api/v1/sessions', { headers: auth });
      return { answer: answerOf(response), checks: { 'sessions: lists at least one': (data?.items.length ?? 0) > 0 } };
    }
    case 'jwks': {
      const { data, response } = await api.GET('/.well-known/jwks.json', { parseAs: 'json' });
      const keys = (data as { keys?: unknown } | undefined)?.keys;
      return { answer: answerOf(response), checks: { 'jwks: has keys': response.status === 200 && Array.isArray(keys) && keys.length > 0 } };
    }
    case 'list': {
      const { data, response } = await api.GET('/api/v1/files', { params: { query: { limit: 20 } }, headers: auth });
      return { answer: answerOf(response), checks: { 'list: has items': Array.isArray(data?.items) } };
    }
    case 'upload-small': {
      // a raw multipart body: the document does not describe the parts of POST /api/v1/files
      const { body, contentType } = smallMultipart();
      const answer = await target.call('POST', '/api/v1/files', { ...auth, 'content-type': contentType, 'idempotency-key': randomUUID() }, body);
      const id = json(answer.body).id;
      if (answer.status === 201 && typeof id === 'string' && user.fileIds.length < 50) user.fileIds.push(id);
      return { answer, checks: { 'upload: 201 with an id': answer.status === 201 && typeof id === 'string' } };
    }
    case 'download': {
      const id = user.fileIds[Math.floor(Math.random() * user.fileIds.length)];
      const { data, response } = await api.GET('/api/v1/files/{id}/content', { params: { path: { id: id ?? 'none' } }, headers: auth, parseAs: 'arrayBuffer' });
      const location = response.headers.get('location');
      if (response.status === 307 && location) {
        // the system's answer (what is timed) is the redirect; the bytes are Blob Storage's, fetched
        // as a client would, without the token, and checked
        const blob = await request(location, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        const bytes = (await blob.body.arrayBuffer()).byteLength;
        return { answer: answerOf(response), checks: { 'download: 2 KiB back': blob.statusCode === 200 && bytes > 0 } };
      }
      return { answer: answerOf(response), checks: { 'download: 2 KiB back': response.status === 200 && (data?.byteLength ?? 0) > 0 } };
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}
