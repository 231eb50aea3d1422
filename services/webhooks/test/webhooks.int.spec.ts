/**
 * Signed webhooks on the shared test stack, through the public gateway: a receiver started here
 * verifies every message with the Standard Webhooks reference library, is taken down for a while
 * and still sees every event once, in order per file; a redelivery on demand, a secret rotation
 * with both signatures in its overlap, a dead letter; and what must not work: no token, another
 * owner's endpoints, SSRF targets, oversized or hostile bodies, odd spellings of the path.
 *
 * The stack's webhooks may reach 127.0.0.2 only, retry within seconds and give up after 30 s
 * (tools/dev's test stack sets WEBHOOK_*): the real backoff code with shorter numbers.
 */
import { randomUUID } from 'node:crypto';
import type {} from '@strata/testing';
import { type Answer, Client, eventually, rawRequest } from '@strata/testing/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Receiver, partnerToken, registerPartner } from './support.js';

const stack = inject('stack');

let a: Client;
let b: Client;
const receiver = new Receiver();

const createEndpoint = (client: Client, body: unknown) => client.call('POST', '/api/v1/webhooks', body);
const deliveriesOf = async (client: Client, endpoint: string, query = ''): Promise<Record<string, unknown>[]> => {
  const res = await client.call('GET', `/api/v1/webhooks/${endpoint}/deliveries${query}`);
  expect(res.status, res.text).toBe(200);
  return res.json.items as Record<string, unknown>[];
};
const expectProblem = (res: Answer, status: number) => {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
};
const rename = (client: Client, id: string, name: string) => client.call('PATCH', `/api/v1/files/${id}`, { name });
const upload = async (client: Client, name: string): Promise<string> => {
  const res = await client.upload(name, Buffer.from(`content of ${name}`));
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
};
const receivedFor = (fileId: string) => receiver.received.filter((m) => m.data.fileId === fileId);

beforeAll(async () => {
  a = await Client.user(stack);
  b = await Client.user(stack);
  await receiver.start();
});
afterAll(async () => {
  await receiver.stop();
});

describe('signed webhooks', () => {
  let endpoint: string;

  it('registers an endpoint; its secret is shown once', async () => {
    const res = await createEndpoint(a, { url: receiver.url, eventTypes: ['FileUploaded', 'FileRenamed', 'FileTrashed'], description: 'tests' });
    expect(res.status, res.text).toBe(201);
    const secret = res.json.secret as string;
    expect(secret).toMatch(/^whsec_/);
    endpoint = (res.json.endpoint as { id: string }).id;
    expect(res.headers.get('location')).toBe(`/api/v1/webhooks/${endpoint}`);
    receiver.secrets.set('first', secret);
    const got = await a.call('GET', `/api/v1/webhooks/${endpoint}`);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id: endpoint, url: receiver.url, eventTypes: ['FileUploaded', 'FileRenamed', 'FileTrashed'], enabled: true, secretsInForce: 1 });
    expect(got.text).not.toContain(secret);
    const list = await a.call('GET', '/api/v1/webhooks');
    expect(list.text).not.toContain(secret);
    expect((list.json.items as { id: string }[]).map((e) => e.id)).toEqual([endpoint]);
  });

  it("delivers the owner's file events, signed, with the event id as webhook-id, filtered", async () => {
    const fileId = await upload(a, 'first.txt');
    expect((await rename(a, fileId, 'first-renamed.txt')).status).toBe(200);
    // starring is not in the filter
    expect((await a.call('PUT', `/api/v1/files/${fileId}/star`)).status).toBe(200);
    const messages = await eventually('two deliveries', async () => (receivedFor(fileId).length >= 2 ? receivedFor(fileId) : undefined), 20_000);
    expect(messages.map((m) => m.type)).toEqual(['FileUploaded', 'FileRenamed']);
    expect(messages.every((m) => m.verifiedWith.includes('first'))).toBe(true);
    expect(messages[0]!.data).toMatchObject({ fileId, ownerId: a.userId, name: 'first.txt' });
    expect(Math.abs(Number(messages[0]!.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    // the log says so once the dispatcher has recorded the answers
    const log = await eventually('the delivery log', async () => {
      const rows = await deliveriesOf(a, endpoint);
      return rows.length === 2 && rows.every((d) => d.status === 'delivered') ? rows : undefined;
    });
    expect(log.map((d) => d.eventId).sort()).toEqual(messages.map((m) => m.id).sort());
    expect(log.map((d) => d.eventType).sort()).toEqual(['FileRenamed', 'FileUploaded']);
  });

  it('sees every event once, in order per file, after the receiver was down for a while', async () => {
    await receiver.stop();
    const files = [await upload(a, 'down-1.txt'), await upload(a, 'down-2.txt'), await upload(a, 'down-3.txt')];
    for (const id of files) {
      expect((await rename(a, id, `${id}-a.txt`)).status).toBe(200);
      expect((await rename(a, id, `${id}-b.txt`)).status).toBe(200);
    }
    expect((await a.call('DELETE', `/api/v1/files/${files[0]}`)).status).toBe(204);
    // the deliveries are tried and fail while it is down (retries with backoff, none delivered)
    await eventually(
      'failed attempts',
      async () => {
        const pending = await deliveriesOf(a, endpoint, '?status=pending');
        return pending.some((d) => (d.attempts as number) >= 2 && d.lastError !== null) ? pending : undefined;
      },
      20_000,
    );
    expect(files.some((id) => receivedFor(id).length > 0)).toBe(false);
    await new Promise((r) => setTimeout(r, 3_000));
    await receiver.start();
    const expected: Record<string, string[]> = {
      [files[0]!]: ['FileUploaded', 'FileRenamed', 'FileRenamed', 'FileTrashed'],
      [files[1]!]: ['FileUploaded', 'FileRenamed', 'FileRenamed'],
      [files[2]!]: ['FileUploaded', 'FileRenamed', 'FileRenamed'],
    };
    await eventually('every event after the outage', async () => (files.every((id) => receivedFor(id).length >= expected[id]!.length) ? true : undefined), 30_000);
    // a moment more: nothing arrives twice
    await new Promise((r) => setTimeout(r, 1_500));
    for (const id of files) {
      const got = receivedFor(id);
      expect(got.map((m) => m.type), id).toEqual(expected[id]);
      expect(new Set(got.map((m) => m.id)).size).toBe(got.length);
      // in the file's order: names as renamed
      const names = got.filter((m) => m.type === 'FileRenamed').map((m) => m.data.to);
      expect(names).toEqual([`${id}-a.txt`, `${id}-b.txt`]);
    }
    const log = await eventually('every delivery recorded', async () => {
      const rows = await deliveriesOf(a, endpoint, '?limit=100');
      return rows.every((d) => d.status === 'delivered') ? rows : undefined;
    });
    expect(log).toHaveLength(2 + 10);
    expect(log.some((d) => (d.attempts as number) > 1)).toBe(true);
  }, 120_000);

  it('redelivers on demand: the same webhook-id again, each attempt in the log', async () => {
    const [latest] = await deliveriesOf(a, endpoint, '?limit=1');
    const before = receiver.received.filter((m) => m.id === latest!.eventId).length;
    const res = await a.call('POST', `/api/v1/webhooks/${endpoint}/deliveries/${latest!.id as string}/redeliver`);
    expect(res.status, res.text).toBe(202);
    expect(res.json.status).toBe('pending');
    await eventually('the redelivery', async () => (receiver.received.filter((m) => m.id === latest!.eventId).length > before ? true : undefined), 20_000);
    const detail = await eventually('the redelivery recorded', async () => {
      const res = await a.call('GET', `/api/v1/webhooks/${endpoint}/deliveries/${latest!.id as string}`);
      return res.status === 200 && (res.json.delivery as { status: string }).status === 'delivered' ? res : undefined;
    });
    const attempts = detail.json.attempts as { attempt: number; status: number | null }[];
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.at(-1)!.status).toBe(204);
    expect(JSON.parse(detail.json.body as string)).toMatchObject({ type: latest!.eventType });
  });

  it('rotates the secret with an overlap: both signatures, then either secret verifies', async () => {
    const res = await a.call('POST', `/api/v1/webhooks/${endpoint}/rotate-secret`);
    expect(res.status, res.text).toBe(200);
    const next = res.json.secret as string;
    expect(next).not.toBe(receiver.secrets.get('first'));
    expect(res.json.endpoint).toMatchObject({ secretsInForce: 2, previousSecretExpiresAt: expect.any(String) });
    receiver.secrets.set('second', next);
    const fileId = await upload(a, 'rotated.txt');
    const [message] = await eventually('a delivery after the rotation', async () => (receivedFor(fileId).length > 0 ? receivedFor(fileId) : undefined), 20_000);
    expect(message!.signature.split(' ')).toHaveLength(2);
    expect(message!.verifiedWith.sort()).toEqual(['first', 'second']);
    // the receiver that knows only the new secret verifies too
    receiver.secrets.delete('first');
    const other = await upload(a, 'rotated-2.txt');
    const [second] = await eventually('a delivery checked with the new secret alone', async () => (receivedFor(other).length > 0 ? receivedFor(other) : undefined), 20_000);
    expect(second!.verifiedWith).toEqual(['second']);
  });

  it('a delivery that keeps failing is dead after the retry horizon, and counted in /metrics', async () => {
    const dead = await createEndpoint(a, { url: `http://127.0.0.2:1/nobody`, eventTypes: ['FileUploaded'] });
    expect(dead.status, dead.text).toBe(201);
    const deadId = (dead.json.endpoint as { id: string }).id;
    await upload(a, 'nobody-listens.txt');
    const [row] = await eventually('a dead delivery', async () => {
      const rows = await deliveriesOf(a, deadId, '?status=dead');
      return rows.length > 0 ? rows : undefined;
    }, 60_000);
    expect(row!.attempts as number).toBeGreaterThan(3);
    expect(row!.lastError).toMatch(/connection failed/);
    const metrics = await (await fetch(`http://127.0.0.1:${stack.apps.webhooks!.internalPort}/metrics`)).text();
    expect(metrics).toMatch(/webhook_deliveries_total\{[^}]*outcome="dead"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/webhook_deliveries_total\{[^}]*outcome="retry"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/webhook_deliveries_total\{[^}]*outcome="success"[^}]*\} [1-9]/);
    // removed, its log goes with it
    expect((await a.call('DELETE', `/api/v1/webhooks/${deadId}`)).status).toBe(204);
    expectProblem(await a.call('GET', `/api/v1/webhooks/${deadId}/deliveries`), 404);
  }, 90_000);

  it("a partner's endpoint gets its own uploads' events, and only those", async () => {
    const { clientId, clientSecret } = await registerPartner(stack, 'files:read,files:write', 'Webhook Partner');
    const partner = new Client(stack.gatewayUrl);
    partner.accessToken = await partnerToken(stack, clientId, clientSecret, 'files:read files:write');
    const res = await createEndpoint(partner, { url: receiver.url, eventTypes: ['*'] });
    expect(res.status, res.text).toBe(201);
    receiver.secrets.set('partner', res.json.secret as string);
    const fileId = await upload(partner, 'from-partner.txt');
    const [message] = await eventually("the partner's delivery", async () => (receivedFor(fileId).length > 0 ? receivedFor(fileId) : undefined), 20_000);
    expect(message!.verifiedWith).toEqual(['partner']);
    expect(message!.data.ownerId).toBe(`client:${clientId}`);
    // the partner sees nothing of the user's endpoint
    expectProblem(await partner.call('GET', `/api/v1/webhooks/${endpoint}`), 404);
    expect(((await partner.call('GET', '/api/v1/webhooks')).json.items as unknown[]).length).toBe(1);
    // the user's uploads never reach the partner's endpoint
    const partnerEndpoint = (res.json.endpoint as { id: string }).id;
    const userFile = await upload(a, 'user-only.txt');
    const [userMessage] = await eventually("the user's own delivery", async () => (receivedFor(userFile).length > 0 ? receivedFor(userFile) : undefined), 20_000);
    expect(userMessage!.verifiedWith).not.toContain('partner');
    const partnerLog = await deliveriesOf(partner, partnerEndpoint);
    expect(partnerLog.map((d) => d.eventId)).toEqual([message!.id]);
  });
});

describe('what must not work', () => {
  let endpoint: string;

  beforeAll(async () => {
    const res = await createEndpoint(a, { url: receiver.url, eventTypes: ['FileUploaded'] });
    expect(res.status, res.text).toBe(201);
    endpoint = (res.json.endpoint as { id: string }).id;
    receiver.secrets.set('must-not', res.json.secret as string);
  });

  it('no token, or a bad one: 401', async () => {
    const anonymous = new Client(stack.gatewayUrl);
    for (const [method, path] of [['GET', '/api/v1/webhooks'], ['POST', '/api/v1/webhooks'], ['GET', `/api/v1/webhooks/${endpoint}`], ['POST', `/api/v1/webhooks/${endpoint}/rotate-secret`]] as const) {
      expectProblem(await anonymous.call(method, path, method === 'POST' ? { url: receiver.url, eventTypes: ['*'] } : undefined), 401);
      expectProblem(await anonymous.call(method, path, undefined, { authorization: 'Bearer not.a.token' }), 401);
    }
  });

  it("another user's endpoints are not found, whatever is asked of them", async () => {
    const [delivery] = await eventually('a delivery to look at', async () => {
      await upload(a, `for-b-${randomUUID()}.txt`);
      const rows = await deliveriesOf(a, endpoint);
      return rows.length > 0 ? rows : undefined;
    }, 20_000);
    const deliveryId = delivery!.id as string;
    for (const [method, path, body] of [
      ['GET', `/api/v1/webhooks/${endpoint}`],
      ['PATCH', `/api/v1/webhooks/${endpoint}`, { enabled: false }],
      ['DELETE', `/api/v1/webhooks/${endpoint}`],
      ['POST', `/api/v1/webhooks/${endpoint}/rotate-secret`],
      ['GET', `/api/v1/webhooks/${endpoint}/deliveries`],
      ['GET', `/api/v1/webhooks/${endpoint}/deliveries/${deliveryId}`],
      ['POST', `/api/v1/webhooks/${endpoint}/deliveries/${deliveryId}/redeliver`],
    ] as const) {
      expectProblem(await b.call(method, path, body), 404);
    }
    expect((await b.call('GET', '/api/v1/webhooks')).json.items).toEqual([]);
    // and it is unchanged
    expect((await a.call('GET', `/api/v1/webhooks/${endpoint}`)).json).toMatchObject({ enabled: true, secretsInForce: 1 });
  });

  it('odd spellings of the path never reach another owner’s endpoint and never fail with a 5xx', async () => {
    for (const path of [
      `/api/v1/Webhooks/${endpoint}`,
      `/api/v1/WEBHOOKS/${endpoint}`,
      `/api/v1/%77ebhooks/${endpoint}`,
      `/api/v1/webhooks/${endpoint.toUpperCase()}`,
      `/api/v1/webhooks/./${endpoint}`,
      `//api/v1/webhooks/${endpoint}`,
      `/api/v1/x/../webhooks/${endpoint}`,
      `/api/v1/webhooks/${endpoint}/deliveries/..%2f..%2f..%2f`,
      `/api/v1/webhooks/%2e%2e/webhooks/${endpoint}`,
      `/api/v1/webhooks/${endpoint}%00`,
    ]) {
      // sent exactly as written (fetch would resolve ./, ../ and %2e first)
      const res = await rawRequest(stack.gatewayUrl, 'GET', path, { authorization: `Bearer ${b.accessToken!}` });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.type, path).toContain('application/problem+json');
      expect(res.body, path).not.toContain(receiver.url);
    }
  });

  const countOf = async (client: Client) => ((await client.call('GET', '/api/v1/webhooks')).json.items as unknown[]).length;

  it('refuses SSRF targets at registration (422) and at a change of URL', async () => {
    const before = await countOf(a);
    const probes = [
      'http://127.0.0.1:8080/hook',
      'https://127.0.0.1/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.1/hook',
      'https://10.255.255.254:8443/hook',
      'https://192.168.1.1/hook',
      'https://100.64.0.1/hook',
      'https://[::1]/hook',
      'https://[fd00::1]/hook',
      'https://[fe80::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://[::ffff:169.254.169.254]/hook',
      'http://0x7f000001/hook',
      'https://2130706433/hook',
      'https://0177.0.0.1/hook',
      'https://0.0.0.0/hook',
      // names resolving to them (/etc/hosts: localhost is 127.0.0.1)
      'https://localhost/hook',
      'http://localhost:9999/hook',
      // plain http outside the allow-list, other schemes, credentials, a name that does not resolve
      `http://127.0.0.3:${receiver.port}/hook`,
      'ftp://example.com/hook',
      'file:///etc/passwd',
      'https://user:secret@example.com/hook',
      `https://nowhere-${randomUUID()}.invalid/hook`,
    ];
    for (const url of probes) {
      const res = await createEndpoint(a, { url, eventTypes: ['*'] });
      expect(res.status, `${url}: ${res.text}`).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expectProblem(await a.call('PATCH', `/api/v1/webhooks/${endpoint}`, { url: 'https://169.254.169.254/' }), 422);
    expect((await a.call('GET', `/api/v1/webhooks/${endpoint}`)).json.url).toBe(receiver.url);
    expect(await countOf(a)).toBe(before);
  });

  it('refuses malformed, oversized and hostile bodies with a 4xx and changes nothing', async () => {
    const before = await countOf(a);
    const cases: [unknown, number][] = [
      [{}, 400],
      [{ url: receiver.url }, 400],
      [{ url: receiver.url, eventTypes: [] }, 400],
      [{ url: receiver.url, eventTypes: ['FileUploaded', 'FileUploaded'] }, 400],
      [{ url: receiver.url, eventTypes: ['UserRegistered'] }, 400],
      [{ url: receiver.url, eventTypes: ['NoSuchEvent'] }, 400],
      [{ url: receiver.url, eventTypes: Array.from({ length: 500 }, (_, i) => `Event${i}`) }, 400],
      [{ url: receiver.url, eventTypes: ['*'], secret: 'whsec_mine' }, 400],
      [{ url: receiver.url, eventTypes: ['*'], description: 'x'.repeat(300) }, 400],
      [{ url: `${receiver.url}\u0000`, eventTypes: ['*'] }, 400],
      [{ url: { href: receiver.url }, eventTypes: ['*'] }, 400],
      [{ url: receiver.url, eventTypes: [{ type: '*' }] }, 400],
      [{ url: receiver.url, eventTypes: ['*'], description: 'x'.repeat(70 * 1024) }, 413],
      ['not json', 400],
      [[receiver.url], 400],
    ];
    for (const [body, status] of cases) {
      expectProblem(await createEndpoint(a, body), status);
    }
    expectProblem(await a.call('POST', '/api/v1/webhooks', 'url=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
    expectProblem(await a.call('PATCH', `/api/v1/webhooks/${endpoint}`, {}), 400);
    expectProblem(await a.call('PATCH', `/api/v1/webhooks/${endpoint}`, { eventTypes: Array.from({ length: 200 }, () => '*') }), 400);
    expectProblem(await a.call('GET', '/api/v1/webhooks/not-a-uuid'), 400);
    expectProblem(await a.call('GET', `/api/v1/webhooks/${endpoint}/deliveries?limit=100000`), 400);
    expectProblem(await a.call('GET', `/api/v1/webhooks/${endpoint}/deliveries?cursor=-1`), 400);
    expectProblem(await a.call('GET', `/api/v1/webhooks/${endpoint}/deliveries?status=lost`), 400);
    expectProblem(await a.call('GET', `/api/v1/webhooks/${randomUUID()}`), 404);
    expect(await countOf(a)).toBe(before);
  });

  it('an owner may register a bounded number of endpoints', async () => {
    const c = await Client.user(stack);
    for (let i = 0; i < 20; i++) expect((await createEndpoint(c, { url: receiver.url, eventTypes: ['FileUploaded'] })).status).toBe(201);
    expectProblem(await createEndpoint(c, { url: receiver.url, eventTypes: ['FileUploaded'] }), 409);
  });
});
