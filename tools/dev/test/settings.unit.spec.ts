/**
 * A setting that names a dependency reaches every process that uses it, or start-up refuses:
 * the secrets the apps read follow the settings the sidecars read, and a variable that would
 * send one app elsewhere is named with the value it disagrees with.
 */
import { Secrets } from '@strata/contracts';
import { describe, expect, it } from 'vitest';
import { infraFromEnv, postgresUrl, redisUrl } from '../src/preflight.js';
import { localDerivedSecrets } from '../src/profiles/local.js';
import { derivedChanges, overrideConflicts, redact } from '../src/settings.js';

describe('the launcher settings', () => {
  it('read Redis from STRATA_REDIS_HOST and STRATA_REDIS_PORT, or from STRATA_REDIS_HOST alone as host:port', () => {
    expect(infraFromEnv({})).toEqual({ pgHost: '127.0.0.1', pgPort: 5432, pgUser: 'postgres', redisHost: '127.0.0.1', redisPort: 6379 });
    expect(infraFromEnv({ STRATA_REDIS_PORT: '6390' })).toMatchObject({ redisHost: '127.0.0.1', redisPort: 6390 });
    expect(infraFromEnv({ STRATA_REDIS_HOST: '127.0.0.1:6390' })).toMatchObject({ redisHost: '127.0.0.1', redisPort: 6390 });
    expect(infraFromEnv({ STRATA_REDIS_HOST: '127.0.0.1:6390', STRATA_REDIS_PORT: '6390' })).toMatchObject({ redisPort: 6390 });
    expect(infraFromEnv({ STRATA_PGHOST: 'db.local', STRATA_PGPORT: '6432', STRATA_PGUSER: 'strata' })).toMatchObject({ pgHost: 'db.local', pgPort: 6432, pgUser: 'strata' });
  });

  it('refuse a Redis port named twice with two values, and a port that is not one', () => {
    expect(() => infraFromEnv({ STRATA_REDIS_HOST: '127.0.0.1:6379', STRATA_REDIS_PORT: '6390' })).toThrow(
      'STRATA_REDIS_HOST=127.0.0.1:6379 names Redis port 6379 and STRATA_REDIS_PORT=6390 another',
    );
    expect(() => infraFromEnv({ STRATA_REDIS_PORT: 'six' })).toThrow('STRATA_REDIS_PORT=six is not a port');
    expect(() => infraFromEnv({ STRATA_PGPORT: '70000' })).toThrow('STRATA_PGPORT=70000 is not a port');
  });
});

describe("the local profile's secrets", () => {
  const infra = infraFromEnv({ STRATA_REDIS_PORT: '6390', STRATA_PGPORT: '6432' });
  const derived = localDerivedSecrets({ databaseUrl: postgresUrl(infra, 'strata'), redisUrl: redisUrl(infra, 0), blobConnectionString: 'blob' });

  it('derive every address from the settings, so that STRATA_REDIS_PORT alone moves the apps with the sidecars', () => {
    expect(derived).toEqual({
      [Secrets.postgresConnectionString]: 'postgres://postgres@127.0.0.1:6432/strata',
      [Secrets.postgresDirectConnectionString]: 'postgres://postgres@127.0.0.1:6432/strata',
      [Secrets.redisUrl]: 'redis://127.0.0.1:6390/0',
      [Secrets.blobConnectionString]: 'blob',
    });
  });

  it('say which address moved since the file was written', () => {
    const existing = { ...derived, [Secrets.redisUrl]: 'redis://127.0.0.1:6379/0', [Secrets.tokenSigningKeys]: 'kept' };
    expect(derivedChanges(existing, derived)).toEqual([{ name: Secrets.redisUrl, was: 'redis://127.0.0.1:6379/0', now: 'redis://127.0.0.1:6390/0' }]);
    expect(derivedChanges({}, derived)).toEqual([]);
  });
});

describe('an address in the environment of an app', () => {
  const secrets = { [Secrets.redisUrl]: 'redis://127.0.0.1:6390/0', [Secrets.postgresConnectionString]: 'postgres://postgres@127.0.0.1:5432/strata' };

  it('that disagrees with the stack is named, with the apps it would take elsewhere and the value the rest uses', () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:6379/0' };
    const problems = overrideConflicts([{ app: 'gateway', env }, { app: 'ratelimit', env }, { app: 'files', env: {} }], secrets);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('REDIS_URL=redis://127.0.0.1:6379/0 would take gateway, ratelimit there');
    expect(problems[0]).toContain(`the secret ${Secrets.redisUrl} use redis://127.0.0.1:6390/0`);
    expect(overrideConflicts([{ app: 'files', env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:5433/strata' } }], secrets)[0]).toMatch(/^DATABASE_URL=.*5433.* would take files there/);
  });

  it('that agrees, or is empty, is fine', () => {
    expect(overrideConflicts([{ app: 'gateway', env: { REDIS_URL: 'redis://127.0.0.1:6390/0', DATABASE_URL: '' } }], secrets)).toEqual([]);
  });

  it('is printed without its password', () => {
    expect(redact('rediss://default:s3cret@127.0.0.1:6380/0')).toBe('rediss://default:***@127.0.0.1:6380/0');
    expect(redact('postgres://postgres@127.0.0.1:5432/strata')).toBe('postgres://postgres@127.0.0.1:5432/strata');
    const [problem] = overrideConflicts([{ app: 'gateway', env: { REDIS_URL: 'redis://:hunter2@10.0.0.1:6379/0' } }], secrets);
    expect(problem).not.toContain('hunter2');
  });
});
