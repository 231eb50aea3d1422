import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AZURITE_BLOB_PORT } from '@strata/contracts';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from './paths.js';
import type {} from '@strata/testing';
import { type Stack, isProfile, startStack } from './stack.js';
import { type RedisCluster, startRedisCluster } from './infra/redis-cluster.js';
import { ensureStackTls } from './infra/tls.js';
import { prodLikePorts } from './profiles/prod-like.js';

/** Test stacks run beside a dev stack (`npm start`): every port is shifted by this much. */
export const TEST_PORT_OFFSET = Number(process.env.STRATA_TEST_PORT_OFFSET ?? 10_000);

let stack: Stack | undefined;
let cluster: RedisCluster | undefined;

/**
 * A three-master Redis Cluster over TLS with a password, on the ports the production-like profile
 * gives its own, for the tests that run the apps' Redis code on a cluster in the local profile.
 */
async function startTestRedisCluster(runDir: string): Promise<{ url: string; caFile: string }> {
  const tls = ensureStackTls(join(runDir, 'tls'));
  cluster = await startRedisCluster(
    { logDir: join(runDir, 'logs'), track: () => undefined },
    {
      nodes: prodLikePorts(TEST_PORT_OFFSET).redisNodes,
      password: randomBytes(16).toString('hex'),
      tls: { ...tls.loopback, ca: tls.ca.cert },
      dir: join(runDir, 'redis-cluster'),
    },
  );
  return { url: cluster.url, caFile: tls.ca.cert };
}

/**
 * Vitest global setup for integration tests: a fresh stack (its own database, Redis DB, Azurite
 * folder and ports) for the run, stopped at the end whatever happened.
 */
export async function setup(project: TestProject): Promise<void> {
  mkdirSync(join(REPO_ROOT, '.strata'), { recursive: true });
  // Every test client comes from 127.0.0.1, so the stack's own gateway would hold all test files
  // to one address's sign-in and registration limits. The rate-limit tests run gateways of their
  // own with limits on; the shared stack's gateway leaves limiting off.
  process.env.RATE_LIMIT_ENABLED ??= 'false';
  const runDir = mkdtempSync(join(REPO_ROOT, '.strata', 'test-'));
  // STRATA_TEST_PROFILE=prod-like runs the tests on deploy/'s configuration and the stand-ins
  const profile = process.env.STRATA_TEST_PROFILE ?? 'local';
  if (!isProfile(profile)) throw new Error(`STRATA_TEST_PROFILE must be local or prod-like, got "${profile}"`);
  stack = await startStack({
    profile,
    name: 'test',
    runDir,
    portOffset: TEST_PORT_OFFSET,
    // several test runs may share a machine (parallel work): each may name its own database and Redis DB
    database: process.env.STRATA_TEST_DATABASE ?? 'strata_test',
    redisDb: Number(process.env.STRATA_TEST_REDIS_DB ?? 1),
    azuriteBlobPort: AZURITE_BLOB_PORT + TEST_PORT_OFFSET,
    logToFiles: true,
    fresh: true,
  });
  // the prod-like stack's Redis is a cluster already; the local one gets one beside it
  let redisCluster: { url: string; caFile: string };
  try {
    redisCluster = stack.profile === 'prod-like' ? { url: stack.redisUrl, caFile: stack.caFile! } : await startTestRedisCluster(runDir);
  } catch (error) {
    await stack.stop();
    throw error;
  }
  // the test workers start after this and trust the cluster's CA, as the apps of a stack do
  process.env.NODE_EXTRA_CA_CERTS = redisCluster.caFile;
  project.provide('stack', {
    redisCluster,
    gatewayUrl: stack.gatewayUrl,
    apps: Object.fromEntries(
      [...stack.apps.values()].map((a) => [
        a.appId,
        { appPort: a.port, internalPort: a.internalPort, daprHttpPort: a.daprHttpPort, daprGrpcPort: a.daprGrpcPort, metricsPort: a.metricsPort },
      ]),
    ),
    databaseUrl: stack.databaseUrl,
    redisUrl: stack.redisUrl,
    blobConnectionString: stack.blobConnectionString,
    runDir,
    daprdPath: stack.daprdPath,
    daprConfigFile: stack.daprConfigFile,
    resourcesPaths: stack.resourcesPaths,
    secretsFile: stack.secretsFile,
    appApiToken: stack.appApiToken,
    profile: stack.profile,
    appTokens: stack.appTokens,
    ...(stack.daprApiToken ? { daprApiToken: stack.daprApiToken } : {}),
    ...(stack.caFile ? { caFile: stack.caFile } : {}),
  });
}

export async function teardown(): Promise<void> {
  const dir = stack?.options.runDir;
  await cluster?.stop();
  await stack?.stop();
  // keep the logs of a failed run for reading; an ordinary run leaves nothing behind
  if (dir && process.exitCode !== 1 && !process.env.STRATA_KEEP_TEST_LOGS) rmSync(dir, { recursive: true, force: true });
}
