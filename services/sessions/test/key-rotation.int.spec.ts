import type {} from '@strata/testing';
import { type StoredSigningKey, newSigningKey } from '@strata/auth';
import { Secrets } from '@strata/contracts';
import { EventStore, kyselyFromPool } from '@strata/event-store';
import { buildServer } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { type Sidecar, startSidecar } from '@strata/testing/harness';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import app from '../src/app.js';
import { sessionsCommands } from '../src/commands.js';
import { loadServiceConfig } from '../src/config.js';
import type { Database } from '../src/db/schema.js';
import { hashPassword } from '../src/passwords.js';
import { eventually } from './support.js';

// The stack's sidecars read the stack's secrets file, which other test files rely on; this test
// rotates keys in a secret store of its own: a daprd with only a local-file secret store, beside
// a sessions replica in this process that reads its keys through it (and its data from the stack).
const stack = inject('stack');

describe('a key rotation in the secret store reaches the signer, the JWKS and verification without a restart', () => {
  const dir = mkdtempSync(join(stack.runDir, 'key-rotation-'));
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  let sidecar: Sidecar | undefined;
  let sessions: FastifyInstance;
  let version = 0;

  /**
   * Puts a key set in a new secrets file and points the component at it: the local-file store
   * reads its file once, when the component starts, and Dapr's hot reload starts it again only
   * when the component's spec changes.
   */
  const rotate = (keys: StoredSigningKey[], options: { touchComponent: boolean } = { touchComponent: true }) => {
    if (options.touchComponent) version++;
    const file = join(dir, `secrets-${version}.json`);
    writeFileSync(file, JSON.stringify({ [Secrets.tokenSigningKeys]: JSON.stringify({ keys }) }));
    writeFileSync(
      join(dir, 'secretstore.yaml'),
      ['apiVersion: dapr.io/v1alpha1', 'kind: Component', 'metadata:', '  name: secretstore', 'spec:', '  type: secretstores.local.file', '  version: v1', '  metadata:', '    - name: secretsFile', `      value: ${JSON.stringify(file)}`, ''].join('\n'),
    );
  };
  const kids = async () => (await sessions.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{ keys: { kid: string }[] }>().keys.map((k) => k.kid);
  const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

  let clientId: string;
  const clientSecret = randomBytes(32).toString('base64url');
  const partnerToken = async () => {
    const res = await sessions.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret } });
    expect(res.statusCode).toBe(200);
    return res.json<{ access_token: string }>().access_token;
  };
  // a partner is not a user: 403 says the token was accepted, 401 that it was not
  const me = async (token: string) => (await sessions.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode;

  let first: StoredSigningKey;
  let second: StoredSigningKey;

  beforeAll(async () => {
    first = await newSigningKey(new Date('2026-12-01T10:00:00Z'));
    second = await newSigningKey(new Date('2026-12-01T11:00:00Z'));
    rotate([first]);
    // a daprd with this folder's secret store only
    sidecar = await startSidecar(stack, { appId: `sessions-key-rotation-${randomBytes(3).toString('hex')}`, resourcesPaths: [dir], cwd: dir });
    sessions = await buildServer({
      config: loadServiceConfig({
        APP_ID: 'sessions',
        PORT: '0',
        DAPR_HTTP_PORT: String(sidecar.httpPort),
        DATABASE_URL: stack.databaseUrl,
        REDIS_URL: stack.redisUrl,
        TOKEN_KEYS_REFRESH_MS: '1000',
        HEARTBEAT_INTERVAL_MS: '600000',
        LOG_LEVEL: 'silent',
      }),
      app,
    });
    await sessions.ready();

    const db = kyselyFromPool(pool) as Kysely<Database>;
    clientId = `rotation-${randomBytes(4).toString('hex')}`;
    await sessionsCommands({ store: await EventStore.open({ db, schema: 'sessions' }), db }).clients.handle(
      clientId,
      {
        type: 'RegisterPartnerClient',
        data: { clientId, name: 'Rotation test', secretHash: await hashPassword(clientSecret, { memoryCost: 1024, timeCost: 1, parallelism: 1 }), scopes: ['files:read'], plan: 'partner', now: new Date() },
      },
      { metadata: { actor: 'test:key-rotation' } },
    );
  }, 120_000);

  afterAll(async () => {
    await sessions?.close();
    await pool.end();
    await sidecar?.stop();
  });

  it('adds a key: it signs new tokens and is published, and the old key still verifies; then removes the old key: its tokens are refused', async () => {
    expect(await kids()).toEqual([first.kid]);
    const byFirst = await partnerToken();
    expect(kidOf(byFirst)).toBe(first.kid);
    expect(await me(byFirst)).toBe(403);

    // the local-file store read its file at start: a changed file alone changes nothing
    rotate([first, second], { touchComponent: false });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await kids()).toEqual([first.kid]);

    // the component pointed at the new file is started again (hot reload): the next refresh has it
    rotate([first, second]);
    await eventually('the second key published', async () => ((await kids()).length === 2 ? true : undefined), 20_000);
    expect(await kids()).toEqual([first.kid, second.kid]);
    const bySecond = await partnerToken();
    expect(kidOf(bySecond)).toBe(second.kid);
    expect(await me(bySecond)).toBe(403);
    expect(await me(byFirst)).toBe(403);

    // the first key leaves the set: it is no longer published, and its tokens stop verifying
    rotate([second]);
    await eventually('the first key withdrawn', async () => ((await kids()).length === 1 ? true : undefined), 20_000);
    expect(await kids()).toEqual([second.kid]);
    await eventually('tokens of the first key refused', async () => ((await me(byFirst)) === 401 ? true : undefined), 5_000);
    expect(await me(bySecond)).toBe(403);
    expect(kidOf(await partnerToken())).toBe(second.kid);
  });
});
