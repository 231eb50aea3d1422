import { createHash, randomUUID } from 'node:crypto';
import type { TestStackInfo } from '@strata/testing';

/** A tiny HTTP client for one user (or partner) through the gateway; copied from services/sessions/test/support.ts and extended with files. */
export class Client {
  accessToken: string | undefined;
  userId: string | undefined;

  constructor(readonly base: string) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const isForm = body instanceof FormData;
    const isRaw = body instanceof Uint8Array;
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body !== undefined && !isForm && !isRaw ? { 'content-type': 'application/json' } : {}),
        ...(this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: isForm || isRaw ? body : typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json: json as Record<string, unknown>, text, bytes };
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
   * sessions service directly: the gateway allows an address only a few of those a minute, and
   * these tests make many users from 127.0.0.1.
   */
  static async user(stack: TestStackInfo): Promise<Client> {
    const sessions = new Client(`http://127.0.0.1:${stack.apps.sessions!.appPort}`);
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

export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A multipart body written by hand, so a test controls the raw Content-Disposition (a NUL, an
 * RFC 5987 filename*, a path) that FormData would clean up.
 */
export function rawMultipart(disposition: string, bytes: Buffer, type = 'application/octet-stream') {
  const boundary = `----strata${Date.now()}${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\nContent-Type: ${type}\r\n\r\n`, 'utf8');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, bytes, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}
