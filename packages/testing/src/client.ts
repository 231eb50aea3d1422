import { createHash, randomUUID } from 'node:crypto';
import type { TestStackInfo } from './provided-context.js';

/**
 * A small HTTP client for one user (or partner) through the gateway, as a browser on one device
 * would be: it keeps the refresh cookie and the access token. Bodies: JSON, FormData or bytes.
 */
export class Client {
  cookie: string | undefined;
  accessToken: string | undefined;
  userId: string | undefined;

  constructor(
    readonly base: string,
    readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36',
    /** Sent on every call: the app token, for a client that calls an app's port as its sidecar would. */
    readonly fixedHeaders: Record<string, string> = {},
  ) {}

  /** A client that calls an app's own port directly, presenting the app token as the sidecar does. */
  static direct(stack: TestStackInfo, appId: string): Client {
    return new Client(`http://127.0.0.1:${stack.apps[appId]!.appPort}`, undefined, { 'dapr-api-token': stack.appApiToken });
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
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
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('strata_refresh='));
    if (setCookie) {
      const value = setCookie.split(';')[0]!;
      this.cookie = value === 'strata_refresh=' ? undefined : value;
    }
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
    const res = await this.call('POST', '/api/v1/auth/register', { email, password, displayName: 'Test User' });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${res.text}`);
    this.userId = res.json.id as string;
    return { email, password, id: this.userId };
  }

  async login(email: string, password: string) {
    const res = await this.call('POST', '/api/v1/auth/login', { email, password });
    if (res.status === 200) this.accessToken = res.json.accessToken as string;
    return res;
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
