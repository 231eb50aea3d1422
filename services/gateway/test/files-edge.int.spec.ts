import type {} from '@strata/testing';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';

// The issue's own checks for caching and live events, with the files service's events.
const stack = inject('stack');
const { gatewayUrl } = stack;

async function signIn(): Promise<{ token: string; id: string }> {
  const email = `edge-${randomUUID()}@example.test`;
  const password = 'edge files password';
  const reg = await fetch(`${gatewayUrl}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const id = ((await reg.json()) as { id: string }).id;
  const login = await fetch(`${gatewayUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  return { token: ((await login.json()) as { accessToken: string }).accessToken, id };
}

const auth = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });

async function upload(token: string, name: string, text: string) {
  const form = new FormData();
  form.append('file', new Blob([text], { type: 'text/plain' }), name);
  const res = await fetch(`${gatewayUrl}/api/v1/files`, { method: 'POST', headers: auth(token), body: form });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; name: string; revision: number };
}

describe('caching and live events with files', () => {
  it('answers a cached list with 304, and shows a rename at once', async () => {
    const { token } = await signIn();
    const file = await upload(token, 'before.txt', 'cache me');
    const list = await fetch(`${gatewayUrl}/api/v1/files`, { headers: auth(token) });
    expect(list.status).toBe(200);
    const etag = list.headers.get('etag')!;
    const again = await fetch(`${gatewayUrl}/api/v1/files`, { headers: auth(token, { 'if-none-match': etag }) });
    expect(again.status).toBe(304);

    const renamed = await fetch(`${gatewayUrl}/api/v1/files/${file.id}`, {
      method: 'PATCH',
      headers: auth(token, { 'content-type': 'application/json', 'if-match': `"${file.revision}"` }),
      body: JSON.stringify({ name: 'after.txt' }),
    });
    expect(renamed.status).toBe(200);
    const fresh = await fetch(`${gatewayUrl}/api/v1/files`, { headers: auth(token, { 'if-none-match': etag }) });
    expect(fresh.status).toBe(200);
    expect(((await fresh.json()) as { items: { name: string }[] }).items.map((f) => f.name)).toEqual(['after.txt']);
  });

  it('streams an upload made in another session to the user within 1 s, and to nobody else', async () => {
    const alice = await signIn();
    const bob = await signIn();
    // a second session of Alice's (another device)
    const controller = new AbortController();
    const res = await fetch(`${gatewayUrl}/api/v1/events`, { headers: auth(alice.token), signal: controller.signal });
    const bobController = new AbortController();
    const bobRes = await fetch(`${gatewayUrl}/api/v1/events`, { headers: auth(bob.token), signal: bobController.signal });
    let text = '';
    let bobText = '';
    void (async () => {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += Buffer.from(chunk).toString();
    })().catch(() => undefined);
    void (async () => {
      for await (const chunk of bobRes.body as unknown as AsyncIterable<Uint8Array>) bobText += Buffer.from(chunk).toString();
    })().catch(() => undefined);

    const started = Date.now();
    const file = await upload(alice.token, `live-${randomUUID()}.txt`, 'hello');
    while (!text.includes(file.id) && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 10));
    expect(text).toContain('event: FileUploaded');
    expect(text).toContain(file.id);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(bobText).not.toContain(file.id);
    controller.abort();
    bobController.abort();
  });
});
