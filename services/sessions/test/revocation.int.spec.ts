import type {} from '@strata/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSessionsReplica } from './instance.js';
import { Client } from './support.js';

const stack = inject('stack');

describe('revocation reaches every replica', () => {
  // a second replica of the sessions service, in this process, beside the one the stack runs
  let replica: FastifyInstance;

  beforeAll(async () => {
    replica = await startSessionsReplica(stack);
  });

  afterAll(async () => {
    await replica?.close();
  });

  it('a session signed out through the gateway is refused by another replica and by the gateway within 1 s', async () => {
    const client = new Client(stack.gatewayUrl);
    const { email, password } = await client.register();
    await client.login(email, password);
    const token = client.accessToken!;
    const atReplica = () => replica.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect((await atReplica()).statusCode).toBe(200);

    expect((await client.call('POST', '/api/v1/auth/logout', {})).status).toBe(204);
    const loggedOut = Date.now();
    let replicaStatus = 0;
    while (Date.now() - loggedOut < 1_000) {
      replicaStatus = (await atReplica()).statusCode;
      if (replicaStatus === 401) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(replicaStatus).toBe(401);
    // the gateway checks tokens itself, before any service sees the call
    const gateway = await fetch(`${stack.gatewayUrl}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(gateway.status).toBe(401);
  });
});
