import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { type Clock, type RequestContextOptions, requestContextPlugin } from '../src/index.js';

const at = new Date('2026-02-03T04:05:06.000Z');
const clock: Clock = { now: () => at };

/** An app whose one route answers with its request context. */
async function contextOf(headers: Record<string, string>, options: RequestContextOptions = { channel: 'main', clock }) {
  const app = Fastify();
  await app.register(requestContextPlugin, options);
  app.get('/ctx', async (request) => {
    const { metadata, clock: given, ...rest } = request.context;
    return { ...rest, metadata: metadata('user:u-1'), now: given.now().toISOString(), same: request.context === request.context };
  });
  const res = await app.inject({ method: 'GET', url: '/ctx', headers });
  await app.close();
  return res.json() as Record<string, unknown>;
}

describe('request context', () => {
  it('believes the client address and protocol the gateway passes, when the gateway is the caller', async () => {
    const ctx = await contextOf({
      'dapr-caller-app-id': 'gateway',
      'x-strata-client-address': '203.0.113.7',
      'x-strata-client-proto': 'https',
      'user-agent': 'Firefox/140',
      'x-request-id': 'req-1',
    });
    expect(ctx).toEqual({
      callerAppId: 'gateway',
      clientAddress: '203.0.113.7',
      clientProtocol: 'https',
      userAgent: 'Firefox/140',
      correlationId: ctx.correlationId,
      metadata: { actor: 'user:u-1', correlationId: ctx.correlationId, address: '203.0.113.7', userAgent: 'Firefox/140' },
      now: at.toISOString(),
      same: true,
    });
  });

  it('takes the connection’s address from any other caller, whatever headers it sends', async () => {
    const forged = { 'x-strata-client-address': '203.0.113.9', 'x-strata-client-proto': 'https', 'user-agent': 'curl/8' };
    for (const headers of [{ 'dapr-caller-app-id': 'files', ...forged }, forged, { 'dapr-caller-app-id': 'GATEWAY', ...forged }]) {
      const ctx = await contextOf(headers);
      expect(ctx).toMatchObject({ clientAddress: '127.0.0.1', clientProtocol: 'http' });
      expect(ctx.metadata).toEqual({ actor: 'user:u-1', correlationId: ctx.correlationId, address: '127.0.0.1', userAgent: 'curl/8' });
    }
  });

  it('does not believe a caller app-id on a listener the sidecar does not talk to (the gateway’s public one)', async () => {
    const ctx = await contextOf({ 'dapr-caller-app-id': 'gateway', 'x-strata-client-address': '203.0.113.9' }, { channel: 'internal' });
    expect(ctx.callerAppId).toBeUndefined();
    expect(ctx.clientAddress).toBe('127.0.0.1');
  });

  it('cuts an address and a user agent to the same lengths everywhere', async () => {
    const ctx = await contextOf({ 'dapr-caller-app-id': 'gateway', 'x-strata-client-address': 'a'.repeat(100), 'user-agent': 'b'.repeat(1_000) });
    expect(ctx.clientAddress).toBe('a'.repeat(64));
    expect(ctx.userAgent).toBe('b'.repeat(300));
  });

  it('uses the system clock unless given one', async () => {
    const before = Date.now();
    const ctx = await contextOf({}, { channel: 'main' });
    expect(Date.parse(ctx.now as string)).toBeGreaterThanOrEqual(before - 1);
  });
});
