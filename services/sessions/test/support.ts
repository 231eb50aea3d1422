import { randomUUID } from 'node:crypto';

/** A tiny HTTP client that keeps the refresh cookie, like a browser on one device would. */
export class Client {
  cookie: string | undefined;
  accessToken: string | undefined;

  constructor(
    readonly base: string,
    readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36',
  ) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        'user-agent': this.userAgent,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('strata_refresh='));
    if (setCookie) {
      const value = setCookie.split(';')[0]!;
      this.cookie = value === 'strata_refresh=' ? undefined : value;
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json: json as Record<string, unknown>, text, setCookie };
  }

  async register(email = `user-${randomUUID()}@example.test`, password = 'correct horse battery staple') {
    const res = await this.call('POST', '/api/v1/auth/register', { email, password, displayName: 'Test User' });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${res.text}`);
    return { email, password, id: res.json.id as string };
  }

  async login(email: string, password: string) {
    const res = await this.call('POST', '/api/v1/auth/login', { email, password });
    if (res.status === 200) this.accessToken = res.json.accessToken as string;
    return res;
  }
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
