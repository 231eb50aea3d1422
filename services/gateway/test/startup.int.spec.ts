import type {} from '@strata/testing';
import { Client } from '@strata/testing/client';
import { type Sidecar, startSidecar } from '@strata/testing/harness';
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway } from './support.js';

// A gateway that starts before the services it needs: its sidecar (real daprd) resolves app-ids
// through a name-resolution database of its own, in which sessions and files have not registered
// yet, exactly as a restarted stack looks while the gateway is up first. Dapr answers every
// invocation (the JWKS included) with its own 500, ERR_DIRECT_INVOKE.

const stack = inject('stack');
let dir: string;
let sidecar: Sidecar;
let gateway: FastifyInstance & { url: string };
let user: Client;

beforeAll(async () => {
  user = await Client.user(stack);
  dir = mkdtempSync(join(tmpdir(), 'strata-gateway-startup-'));
  const config = readFileSync(stack.daprConfigFile, 'utf8');
  const alone = config.replace(/connectionString:\s*"?[^"\n]*"?/, `connectionString: "${join(dir, 'nameresolution.db')}"`);
  expect(alone, 'the stack configuration names its name-resolution database').not.toBe(config);
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, alone);
  // no app port: this sidecar only calls out (no app channel, so no subscription of the stack's gateway is taken)
  sidecar = await startSidecar(stack, { appId: 'gateway', configFile });
  gateway = await startGateway({ DAPR_HTTP_PORT: String(sidecar.httpPort), RATE_LIMIT_ENABLED: 'false' }, { listen: true });
});

afterAll(async () => {
  await gateway?.close();
  await sidecar?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const call = (path: string, init: RequestInit = {}) => fetch(`${gateway.url}${path}`, init);

describe('a gateway whose services are not up yet', () => {
  it('answers a valid token 503 with Retry-After (its keys cannot be loaded), never 500', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await call('/api/v1/files', { headers: { authorization: `Bearer ${user.accessToken}` } });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 503, type: 'https://strata.dev/problems/unavailable' });
    }
  });

  it('answers what it forwards (the JWKS, a sign-in) 503 with Retry-After while the service cannot be reached', async () => {
    const jwks = await call('/.well-known/jwks.json');
    expect(jwks.status).toBe(503);
    expect(Number(jwks.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(jwks.headers.get('content-type')).toContain('application/problem+json');
    const login = await call('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'a@example.test', password: 'x'.repeat(12) }) });
    expect(login.status).toBe(503);
    expect(Number(login.headers.get('retry-after'))).toBeGreaterThan(0);
    const text = await login.text();
    expect(text).not.toMatch(/ERR_DIRECT_INVOKE|resolve/i);
  });

  it('still refuses a missing or forged token with 401: unavailable keys are no way in', async () => {
    expect((await call('/api/v1/files')).status).toBe(401);
  });
});
