/**
 * The local profile on the machine's Postgres and Redis: the secrets file follows the settings
 * (an address written by an earlier start with other settings is rewritten, generated secrets
 * stay), and a stack whose apps would be sent elsewhere by their environment does not start.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secrets } from '@strata/contracts';
import type {} from '@strata/testing';
import { freePort } from '@strata/testing/harness';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { portIsFree } from '../src/ports.js';
import { infraFromEnv, postgresUrl, redisUrl } from '../src/preflight.js';
import { LOCAL_DAPR_CONFIG } from '../src/profiles/common.js';
import { localProfile } from '../src/profiles/local.js';
import { startStack } from '../src/stack.js';
import { TEST_PORT_OFFSET } from '../src/test-stack.js';
import { infraFixture } from './infra-fixture.js';

const stack = inject('stack');
// the test stack's own database and Redis DB: this file starts nothing fresh, so it empties neither
const database = new URL(stack.databaseUrl).pathname.slice(1);
const redisDb = Number(new URL(stack.redisUrl).pathname.slice(1) || 0);
const fx = infraFixture('settings');
afterAll(() => fx.cleanup());

describe("the local profile's secrets follow the settings", () => {
  it('rewrites the addresses an earlier start wrote with other settings, and keeps the generated secrets', async () => {
    const infra = infraFromEnv();
    const dir = join(fx.dir, 'moved');
    const secretsFile = join(dir, 'secrets.json');
    mkdirSync(dir, { recursive: true });
    // as a start with STRATA_REDIS_PORT=6399 and STRATA_PGPORT=6432 left it
    writeFileSync(
      secretsFile,
      JSON.stringify({
        [Secrets.redisUrl]: `redis://${infra.redisHost}:6399/${redisDb}`,
        [Secrets.postgresConnectionString]: `postgres://postgres@127.0.0.1:6432/${database}`,
        [Secrets.postgresDirectConnectionString]: `postgres://postgres@127.0.0.1:6432/${database}`,
        [Secrets.blobConnectionString]: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=x;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;',
        [Secrets.tokenSigningKeys]: '{"keys":["kept"]}',
        [Secrets.wiringCheck]: 'kept too',
      }),
    );
    const running = await localProfile.start({
      runDir: dir,
      portOffset: 0,
      database,
      redisDb,
      azuriteBlobPort: await freePort(),
      fresh: false,
      infra,
      appIds: ['gateway'],
      nameResolutionDb: join(dir, 'nameresolution.db'),
      localConfig: LOCAL_DAPR_CONFIG,
      localResourcesPaths: [],
      ctx: fx.ctx,
    });
    try {
      const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>;
      expect(secrets[Secrets.redisUrl]).toBe(redisUrl(infra, redisDb));
      expect(secrets[Secrets.postgresConnectionString]).toBe(postgresUrl(infra, database));
      expect(secrets[Secrets.postgresDirectConnectionString]).toBe(postgresUrl(infra, database));
      expect(secrets[Secrets.blobConnectionString]).toBe(running.blobConnectionString);
      expect(running.redisUrl).toBe(secrets[Secrets.redisUrl]);
      expect(running.databaseUrl).toBe(secrets[Secrets.postgresConnectionString]);
      // what the sidecars get names the same server
      expect(running.sidecar({ resourcesPaths: [] } as never).env).toMatchObject({ STRATA_REDIS_HOST: `${infra.redisHost}:${infra.redisPort}`, STRATA_REDIS_DB: String(redisDb) });
      expect(secrets[Secrets.tokenSigningKeys]).toBe('{"keys":["kept"]}');
      expect(secrets[Secrets.wiringCheck]).toBe('kept too');
    } finally {
      await running.stop();
    }
  });
});

describe('a stack whose apps would reach another server than their sidecars', () => {
  it('does not start, names the variable and the value it disagrees with, and leaves nothing running', async () => {
    const dir = join(fx.dir, 'refused');
    const azuriteBlobPort = await freePort();
    const before = process.env.REDIS_URL;
    process.env.REDIS_URL = 'redis://127.0.0.1:6399/0';
    try {
      await expect(
        startStack({
          name: 'refused',
          runDir: dir,
          // beside the test stack (its replicas, if any, are 100 apart)
          portOffset: TEST_PORT_OFFSET + 50,
          database,
          redisDb,
          azuriteBlobPort,
          logToFiles: true,
          only: ['ratelimit'],
        }),
      ).rejects.toThrow(new RegExp(`REDIS_URL=redis://127\\.0\\.0\\.1:6399/0 would take ratelimit there, while the sidecars and the secret ${Secrets.redisUrl} use redis://`));
    } finally {
      if (before === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = before;
    }
    // refused before any app or sidecar started; Azurite, started for the secrets, is stopped again
    expect(existsSync(join(dir, 'supervisor.json'))).toBe(false);
    expect(await portIsFree(azuriteBlobPort)).toBe(true);
    expect(existsSync(join(dir, 'pids.json'))).toBe(false);
  });
});
