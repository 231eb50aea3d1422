import { createHash, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { type StrataClient, createStrataClient } from '@strata/client';
import type { TestStackInfo } from './provided-context.js';

/** What a call answered, read once: status, headers, the body as JSON (when it is), text and bytes. */
export interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
  text: string;
  bytes: Buffer;
  /** The refresh cookie it set (or cleared), as sent. */
  setCookie: string | undefined;
}

/**
 * A small HTTP client for one user (or partner) through the gateway, as a browser on one device
 * would be: it keeps the refresh cookie and the access token. `api` is the typed client
 * (@strata/client) with that cookie and token; `call` sends anything at all (an odd path, a
 * hostile body) and reads the answer whatever it is. Bodies: JSON, FormData or bytes.
 */
export class Client {
  cookie: string | undefined;
  accessToken: string | undefined;
  userId: string | undefined;
  /** The typed client, sending this client's cookie, token and headers. */
  readonly api: StrataClient;

  constructor(
    readonly base: string,
    readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36',
    /** Sent on every call: the app token, for a client that calls an app's port as its sidecar would. */
    readonly fixedHeaders: Record<string, string> = {},
  ) {
    this.api = createStrataClient({ baseUrl: base, getToken: () => this.accessToken, headers: { 'user-agent': userAgent, ...fixedHeaders } });
    this.api.use({
      onRequest: ({ request }) => {
        if (this.cookie) request.headers.set('cookie', this.cookie);
        return request;
      },
      onResponse: ({ response }) => {
        this.keepCookie(response);
        return response;
      },
    });
  }

  /** Keeps the refresh cookie an answer sets, and forgets it when the answer clears it. */
  private keepCookie(res: Response): string | undefined {
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('strata_refresh='));
    if (setCookie) {
      const value = setCookie.split(';')[0]!;
      this.cookie = value === 'strata_refresh=' ? undefined : value;
    }
    return setCookie;
  }

  /** A client that calls an app's own port directly, presenting the app token as the sidecar does. */
  static direct(stack: TestStackInfo, appId: string): Client {
    return new Client(`http://127.0.0.1:${stack.apps[appId]!.appPort}`, undefined, { 'dapr-api-token': stack.appApiToken });
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const isForm = body instanceof FormData;
    const isRaw = body instanceof Uint8Array;
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        'user-agent': this.userAgent,
        ...this.fixedHeaders,
        ...(body !== undefined && !isForm && !isRaw ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: isForm || isRaw ? (body as NonNullable<RequestInit['body']>) : typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const setCookie = this.keepCookie(res);
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json: json as Record<string, unknown>, text, bytes, setCookie };
  }

  async register(email = `user-${randomUUID()}@example.test`, password = 'correct horse battery staple') {
    const { data, error, response } = await this.api.POST('/api/v1/auth/register', { body: { email, password, displayName: 'Test User' } });
    if (!data) throw new Error(`register: ${response.status} ${JSON.stringify(error)}`);
    this.userId = data.id;
    return { email, password, id: data.id };
  }

  /** Signs in (keeping the token and the refresh cookie); the answer whatever it is, a refusal too. */
  async login(email: string, password: string): Promise<Answer> {
    const { data, error, response } = await this.api.POST('/api/v1/auth/login', { body: { email, password } });
    if (data) this.accessToken = data.accessToken;
    const text = JSON.stringify(data ?? error ?? null);
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('strata_refresh='));
    return { status: response.status, headers: response.headers, json: (data ?? error ?? {}) as Record<string, unknown>, text, bytes: Buffer.from(text), setCookie };
  }

  /**
   * A new user, signed in, whose calls go through the gateway. Registration and sign-in go to the
   * sessions service directly, so tests that make many users are not held to one address's limits.
   */
  static async user(stack: TestStackInfo): Promise<Client> {
    const sessions = Client.direct(stack, 'sessions');
    const { email, password, id } = await sessions.register();
    const login = await sessions.login(email, password);
    if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
    const client = new Client(stack.gatewayUrl);
    client.accessToken = sessions.accessToken;
    client.userId = id;
    return client;
  }

  upload(name: string, bytes: Buffer | Uint8Array, options: { type?: string; headers?: Record<string, string>; path?: string; method?: string } = {}) {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: options.type ?? 'application/octet-stream' }), name);
    return this.call(options.method ?? 'POST', options.path ?? '/api/v1/files', form, options.headers);
  }
}

/** What a raw request answered: status, content type, the body as text. */
export interface RawAnswer {
  status: number;
  type: string;
  body: string;
}

/**
 * One HTTP request with its path sent exactly as written (`fetch` and URL parsing would resolve
 * `./`, `../` and `%2e` first): how an attacker's odd spellings of a path are tried.
 */
export function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

export const sha256 = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Polls until `fn` gives a value, or fails naming what it waited for. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads a gateway's live event stream (GET /api/v1/events) with fetch: EventSource cannot send a bearer token. */
export async function openEventStream(base: string, token: string, lastEventId?: string) {
  const controller = new AbortController();
  const res = await fetch(`${base}/api/v1/events`, {
    headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: controller.signal,
  });
  const events: SseEvent[] = [];
  let ended = false;
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event: SseEvent = { event: 'message', data: '' };
          let hasData = false;
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              event.data = line.slice(6);
              hasData = true;
            }
          }
          if (hasData) events.push(event);
        }
      }
    } catch {
      // aborted
    }
    ended = true;
  })();
  return {
    res,
    events,
    ended: () => ended,
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}
