import { AppManifests, Secrets } from '@strata/contracts';
import { type DaprClient, DaprError } from '@strata/dapr';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { SecretReader, StartupError } from '../src/secrets.js';

const log = { info: () => undefined } as unknown as FastifyBaseLogger;
/** A sidecar that is ready and answers every secret read with `answer`. */
const sidecar = (answer: () => Promise<Record<string, string>>) => ({ baseUrl: 'http://127.0.0.1:1', isOutboundReady: async () => true, getSecret: answer }) as unknown as DaprClient;

describe("an app's secret reader", () => {
  it('reads only what the manifest declares, from the environment first', async () => {
    const reader = new SecretReader(sidecar(async () => ({ [Secrets.redisUrl]: 'redis://store' })), log, 'ratelimit');
    expect(AppManifests.ratelimit.secrets).toEqual([Secrets.redisUrl]);
    expect(await reader.read(Secrets.redisUrl, 'redis://env')).toBe('redis://env');
    expect(await reader.read(Secrets.redisUrl, undefined)).toBe('redis://store');
    await expect(reader.read(Secrets.postgresConnectionString, 'postgres://env')).rejects.toThrow(/does not declare/);
  });

  it('turns a secret the scope denies into a start-up error naming the secret, the app and its Configuration', async () => {
    const denied = new DaprError('read secret redis-url from secretstore failed with 403: access denied by policy', 403, 'ERR_PERMISSION_DENIED', '{}');
    const reader = new SecretReader(sidecar(async () => Promise.reject(denied)), log, 'files');
    const error = await reader.read(Secrets.redisUrl, undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toMatch(/^the secret "redis-url" is denied to app-id "files" by the secret scope of its Dapr Configuration/);
    expect((error as Error).message).toContain('deploy/dapr/config/files.yaml');
  });

  it('says which secret is missing from the store', async () => {
    const reader = new SecretReader(sidecar(async () => ({})), log, 'sessions');
    await expect(reader.read(Secrets.tokenSigningKeys, undefined)).rejects.toThrow(new StartupError('the secret "token-signing-keys" is missing from the "secretstore" secret store (app-id "sessions")'));
  });
});
