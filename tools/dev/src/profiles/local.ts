import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { newSigningKey } from '@strata/auth';
import { Secrets } from '@strata/contracts';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '../infra/azurite.js';
import { flushRedisDb, postgresUrl, preflight, redisUrl } from '../preflight.js';
import { say } from '../log.js';
import { redact } from '../settings.js';
import { componentEnv, mailDirOf } from '@strata/testing/harness';
import { readConfiguration, stackNameResolution, writeSecrets } from './common.js';
import type { Profile, RunningProfile } from './profile.js';

/** The secrets of the local profile that the settings decide (Postgres, Redis, Azurite), rewritten at each start. */
export function localDerivedSecrets(values: { databaseUrl: string; redisUrl: string; blobConnectionString: string }): Record<string, string> {
  return {
    [Secrets.postgresConnectionString]: values.databaseUrl,
    // no pooler locally: the direct address is the same server
    [Secrets.postgresDirectConnectionString]: values.databaseUrl,
    [Secrets.redisUrl]: values.redisUrl,
    [Secrets.blobConnectionString]: values.blobConnectionString,
  };
}

/**
 * The local profile: the machine's Postgres and Redis (the stack's own database and Redis DB),
 * Azurite over HTTP with its development account, dapr/'s components and one shared Configuration,
 * one app token for every app.
 */
export const localProfile: Profile = {
  name: 'local',
  ports: ({ azuriteBlobPort }) => [azuriteBlobPort],
  async start(input): Promise<RunningProfile> {
    const { infra, runDir } = input;
    say(`checking Postgres (${infra.pgHost}:${infra.pgPort}) and Redis (${infra.redisHost}:${infra.redisPort})`);
    const problems = await preflight(infra, input.database, { recreate: input.fresh });
    if (problems.length > 0) throw new Error(`cannot start: \n  - ${problems.join('\n  - ')}`);
    if (input.fresh) await flushRedisDb(infra, input.redisDb);

    const blobEndpoint = `http://127.0.0.1:${input.azuriteBlobPort}/${AZURITE_ACCOUNT}`;
    const blobConnectionString =
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`;
    const databaseUrl = postgresUrl(infra, input.database);
    const stackRedisUrl = redisUrl(infra, input.redisDb);
    const secretsFile = join(runDir, 'secrets.json');
    const moved = writeSecrets(
      secretsFile,
      {
        [Secrets.wiringCheck]: randomBytes(16).toString('hex'),
        // kept across restarts like every generated secret: tokens stay valid over a restart
        [Secrets.tokenSigningKeys]: JSON.stringify({ keys: [await newSigningKey()] }),
      },
      // derived from the settings at every start: the apps read these, the sidecars take the same
      // settings from their environment, so both always reach the same servers
      localDerivedSecrets({ databaseUrl, redisUrl: stackRedisUrl, blobConnectionString }),
    );
    for (const { name, was, now } of moved) say(`${name} follows the settings: ${redact(was)} → ${redact(now)} (${secretsFile})`);
    const configFile = join(runDir, 'dapr-config.yaml');
    const config = readConfiguration(input.localConfig);
    config.spec.nameResolution = stackNameResolution(input.localConfig, input.nameResolutionDb);
    writeFileSync(configFile, stringify(config));

    // the sidecars authenticate themselves to their apps with this (apps refuse /dapr calls without it)
    const appApiToken = randomBytes(24).toString('base64url');
    const azurite = await startAzurite(input.ctx, { port: input.azuriteBlobPort, dir: join(runDir, 'azurite'), fresh: input.fresh, cwd: runDir });
    const mailDir = mailDirOf(runDir);
    mkdirSync(mailDir, { recursive: true });
    const sidecarEnv = {
      ...componentEnv({ secretsFile, redisHost: `${infra.redisHost}:${infra.redisPort}`, redisDb: input.redisDb, mailDir }),
      APP_API_TOKEN: appApiToken,
    };
    return {
      name: 'local',
      parts: [azurite],
      azurite,
      secretsFile,
      databaseUrl,
      redisUrl: stackRedisUrl,
      blobConnectionString,
      daprConfigFile: configFile,
      resourcesPaths: input.localResourcesPaths,
      appTokens: Object.fromEntries(input.appIds.map((id) => [id, appApiToken])),
      sidecar: (app) => ({ configFile, resourcesPaths: app.resourcesPaths, args: [], env: sidecarEnv }),
      // files reads Azurite's development account from the secret store (blob-connection-string above)
      appEnv: () => ({ APP_API_TOKEN: appApiToken }),
      summary: [`Azurite ${azurite.endpoint}/${AZURITE_ACCOUNT}; Postgres ${infra.pgHost}:${infra.pgPort}/${input.database}; Redis ${stackRedisUrl}`],
      stop: () => azurite.stop(),
    };
  },
};
