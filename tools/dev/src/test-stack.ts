import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AZURITE_BLOB_PORT } from '@strata/contracts';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from './paths.js';
import type { TestStackInfo } from '@strata/testing';
import { expectedRestartsFile } from '@strata/testing/harness';
import { type RestartRecord, exitOf } from './supervise.js';
import { type Stack, isProfile, startStack } from './stack.js';
import { type RedisCluster, startRedisCluster } from './infra/redis-cluster.js';
import { ensureStackTls } from './infra/tls.js';
import { prodLikePorts } from './profiles/prod-like.js';

/** Test stacks run beside a dev stack (`npm start`): every port is shifted by this much. */
export const TEST_PORT_OFFSET = Number(process.env.STRATA_TEST_PORT_OFFSET ?? 10_000);

/** A test stack and, beside a local one, the Redis Cluster its cluster tests use. */
export interface TestStack {
  stack: Stack;
  cluster?: RedisCluster;
}

let current: TestStack | undefined;

/**
 * A three-master Redis Cluster over TLS with a password, on the ports the production-like profile
 * gives its own, for the tests that run the apps' Redis code on a cluster in the local profile.
 */
async function startTestRedisCluster(runDir: string): Promise<{ cluster: RedisCluster; caFile: string }> {
  const tls = ensureStackTls(join(runDir, 'tls'));
  const cluster = await startRedisCluster(
    { logDir: join(runDir, 'logs'), track: () => undefined },
    {
      nodes: prodLikePorts(TEST_PORT_OFFSET).redisNodes,
      password: randomBytes(16).toString('hex'),
      tls: { ...tls.loopback, ca: tls.ca.cert },
      dir: join(runDir, 'redis-cluster'),
    },
  );
  return { cluster, caFile: tls.ca.cert };
}

/**
 * A fresh test stack (its own database, Redis DB, Azurite folder and ports: STRATA_TEST_*) and
 * what the tests are told about it. The integration tests' global setup, and tools that run
 * against a stack of their own as the tests do (the gateway's fuzz), start it here.
 */
export async function startTestStack(options: { supervise?: boolean } = {}): Promise<{ stack: TestStack; info: TestStackInfo }> {
  mkdirSync(join(REPO_ROOT, '.strata'), { recursive: true });
  // Every test client comes from 127.0.0.1, so the stack's own gateway would hold all test files
  // to one address's sign-in and registration limits. The rate-limit tests run gateways of their
  // own with limits on; the shared stack's gateway leaves limiting off.
  process.env.RATE_LIMIT_ENABLED ??= 'false';
  // Webhook receivers of the tests listen on 127.0.0.2, the one address the stack's webhooks may
  // reach (every other loopback or private address stays refused, which the SSRF tests check);
  // retries come within seconds and a delivery is dead after 30 s, not a day (the same code, other numbers).
  process.env.WEBHOOK_ALLOWED_TARGETS ??= '127.0.0.2/32';
  process.env.WEBHOOK_RETRY_BASE_MS ??= '250';
  process.env.WEBHOOK_RETRY_MAX_MS ??= '2000';
  process.env.WEBHOOK_RETRY_HORIZON_MS ??= '30000';
  process.env.WEBHOOK_POLL_MS ??= '200';
  const runDir = mkdtempSync(join(REPO_ROOT, '.strata', 'test-'));
  // STRATA_TEST_PROFILE=prod-like runs the tests on deploy/'s configuration and the stand-ins
  const profile = process.env.STRATA_TEST_PROFILE ?? 'local';
  if (!isProfile(profile)) throw new Error(`STRATA_TEST_PROFILE must be local or prod-like, got "${profile}"`);
  const started = await startStack({
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
    // the stack restarts what crashes, as `npm start` does; STRATA_TEST_SUPERVISE=0 leaves it dead
    supervise: options.supervise ?? process.env.STRATA_TEST_SUPERVISE !== '0',
  });
  // the prod-like stack's Redis is a cluster already; the local one gets one beside it
  let local: { cluster: RedisCluster; caFile: string } | undefined;
  try {
    if (started.profile !== 'prod-like') local = await startTestRedisCluster(runDir);
  } catch (error) {
    await started.stop();
    throw error;
  }
  const cluster = local?.cluster;
  const redisCluster = local ? { url: local.cluster.url, caFile: local.caFile } : { url: started.redisUrl, caFile: started.caFile! };
  // the test workers start after this and trust the cluster's CA, as the apps of a stack do
  process.env.NODE_EXTRA_CA_CERTS = redisCluster.caFile;
  const info: TestStackInfo = {
    redisCluster,
    gatewayUrl: started.gatewayUrl,
    apps: Object.fromEntries(
      [...started.apps.values()].map((a) => [
        a.appId,
        { appPort: a.port, internalPort: a.internalPort, daprHttpPort: a.daprHttpPort, daprGrpcPort: a.daprGrpcPort, metricsPort: a.metricsPort },
      ]),
    ),
    databaseUrl: started.databaseUrl,
    redisUrl: started.redisUrl,
    blobConnectionString: started.blobConnectionString,
    runDir,
    daprdPath: started.daprdPath,
    daprConfigFile: started.daprConfigFile,
    resourcesPaths: started.resourcesPaths,
    secretsFile: started.secretsFile,
    supervisorFile: started.supervisorFile,
    appApiToken: started.appApiToken,
    profile: started.profile,
    appTokens: started.appTokens,
    ...(started.daprApiToken ? { daprApiToken: started.daprApiToken } : {}),
    ...(started.caFile ? { caFile: started.caFile } : {}),
  };
  return { stack: { stack: started, ...(cluster ? { cluster } : {}) }, info };
}

/**
 * Stops a stack from startTestStack; its logs stay for reading after a failure (`keepLogs`) or
 * with STRATA_KEEP_TEST_LOGS, otherwise nothing is left behind.
 */
export async function stopTestStack(started: TestStack | undefined, keepLogs: boolean): Promise<void> {
  const dir = started?.stack.options.runDir;
  await started?.cluster?.stop();
  await started?.stack.stop();
  if (dir && !keepLogs && !process.env.STRATA_KEEP_TEST_LOGS) rmSync(dir, { recursive: true, force: true });
}

/**
 * The restarts no test declared (expectRestart): each one is a process of the stack that crashed
 * during the run and was healed by the supervisor, which must not pass for a green run.
 */
export function unexpectedRestarts(restarts: readonly RestartRecord[], expected: readonly string[]): RestartRecord[] {
  const allowance = new Map<string, number>();
  for (const name of expected) allowance.set(name, (allowance.get(name) ?? 0) + 1);
  return restarts.filter((r) => {
    const left = allowance.get(r.name) ?? 0;
    if (left > 0) allowance.set(r.name, left - 1);
    return left === 0;
  });
}

function readExpectedRestarts(runDir: string): string[] {
  const file = expectedRestartsFile(runDir);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Vitest global setup for integration tests: a fresh stack for the run, stopped at the end whatever happened. */
export async function setup(project: TestProject): Promise<void> {
  const started = await startTestStack();
  current = started.stack;
  project.provide('stack', started.info);
}

export async function teardown(): Promise<void> {
  const restarts = current?.stack.restarts() ?? [];
  const unexpected = current ? unexpectedRestarts(restarts, readExpectedRestarts(current.stack.options.runDir)) : [];
  await stopTestStack(current, process.exitCode === 1 || unexpected.length > 0);
  if (unexpected.length > 0) {
    // vitest only logs an error thrown here: the exit code says it too
    process.exitCode = 1;
    const lines = unexpected.map((r) => `  ${r.name} exited (${exitOf(r.code, r.signal)}) at ${r.at} after ${(r.upForMs / 1000).toFixed(1)} s up`);
    throw new Error(
      `${unexpected.length} process${unexpected.length > 1 ? 'es' : ''} of the test stack crashed during the run and ${unexpected.length > 1 ? 'were' : 'was'} restarted by the supervisor ` +
        `(logs kept in ${current!.stack.options.runDir}/logs):\n${lines.join('\n')}`,
    );
  }
}
