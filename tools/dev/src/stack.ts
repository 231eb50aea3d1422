import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { AppIds, BLOB_CONTAINER, Secrets } from '@strata/contracts';
import { newSigningKey } from '@strata/auth';
import { ensureDaprd } from './daprd.js';
import { bold, dim, green, red, say } from './log.js';
import { REPO_ROOT } from './paths.js';
import { type Infra, flushRedisDb, infraFromEnv, postgresUrl, preflight, redisUrl } from './preflight.js';
import { portIsFree, waitForPort } from './ports.js';
import { type Managed, startProcess, stopProcess } from './proc.js';
import { type RunApp, readRunFile, shiftPorts } from './runfile.js';
import { componentEnv, daprdArgs } from '@strata/testing/harness';

/** Azurite's published development account; not a secret (the same in every Azurite). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface StackOptions {
  /** Names the stack's runtime folder and the Postgres database suffix. */
  name: string;
  runDir: string;
  portOffset: number;
  database: string;
  redisDb: number;
  azuriteBlobPort: number;
  /** Logs to files in runDir/logs instead of the console (tests). */
  logToFiles?: boolean;
  /** Start from empty data: drop the database, empty the Redis DB and Azurite's folder (tests). */
  fresh?: boolean;
  /** Apps to run; all of dapr.yaml by default. */
  only?: string[];
  /**
   * Instances per app-id (default 1). Replica r (from 0) has every port shifted by r × REPLICA_PORT_STEP
   * and its own daprd under the same app-id, so name resolution spreads invocations over them and
   * they share pub/sub consumer groups (competing consumers).
   */
  replicas?: Record<string, number>;
  readyTimeoutMs?: number;
  infra?: Infra;
}

export interface RunningApp extends RunApp {
  app: Managed;
  sidecar: Managed;
  /** 0 for the first instance of an app-id; the stack's map keys replica r > 0 as `<appId>#<r>`. */
  replica: number;
}

/** Ports of replica r are the app's ports plus r times this (dapr.yaml's blocks are 1 apart). */
export const REPLICA_PORT_STEP = 100;
export const MAX_REPLICAS = 9;

/** The launcher's instances: each app of the run file, repeated for its replicas with shifted ports. */
export function expandReplicas(apps: readonly RunApp[], replicas: Record<string, number> = {}): (RunApp & { replica: number; key: string })[] {
  for (const [appId, n] of Object.entries(replicas)) {
    if (!apps.some((a) => a.appId === appId)) throw new Error(`--replicas names ${appId}, which is not an app of this stack`);
    if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS) throw new Error(`--replicas ${appId}=${n}: expected 1 to ${MAX_REPLICAS}`);
  }
  const instances = apps.flatMap((app) =>
    Array.from({ length: replicas[app.appId] ?? 1 }, (_, r) => ({
      ...shiftPorts(app, r * REPLICA_PORT_STEP),
      replica: r,
      key: r === 0 ? app.appId : `${app.appId}#${r}`,
    })),
  );
  const ports = instances.flatMap((a) => [a.port, a.internalPort, a.daprHttpPort, a.daprGrpcPort, a.daprInternalGrpcPort, a.metricsPort]);
  const clash = ports.find((p, i) => ports.indexOf(p) !== i);
  if (clash !== undefined) throw new Error(`replica ports clash on ${clash}: too many replicas for dapr.yaml's port blocks`);
  return instances;
}

export interface Stack {
  options: StackOptions;
  /** What each sidecar presents to its app; tests that call an app's port directly present it too. */
  appApiToken: string;
  apps: Map<string, RunningApp>;
  azurite: Managed;
  gatewayUrl: string;
  blobConnectionString: string;
  databaseUrl: string;
  redisUrl: string;
  secretsFile: string;
  /** The Dapr Configuration every sidecar of the stack runs with (its own name-resolution database). */
  daprConfigFile: string;
  /** The daprd the sidecars run, and the components and configuration folders they read. */
  daprdPath: string;
  resourcesPaths: string[];
  stop(): Promise<void>;
  /** Stops one app's process (not its sidecar); used by tests of failure and recovery. */
  stopApp(appId: string): Promise<void>;
}

/** Secrets the launcher generates; values already in the file are kept (an operator may edit it). */
function writeSecrets(file: string, generated: Record<string, string>): void {
  let existing: Record<string, string> = {};
  if (existsSync(file)) existing = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const merged = { ...generated, ...existing };
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o600 });
}

/** The shared Dapr configuration, with this stack's own name-resolution database. */
function writeDaprConfig(source: string, target: string, nameResolutionDb: string): void {
  const config = parse(readFileSync(source, 'utf8')) as {
    spec: { nameResolution?: { configuration?: Record<string, unknown> } };
  };
  config.spec.nameResolution ??= {};
  config.spec.nameResolution.configuration = {
    ...config.spec.nameResolution.configuration,
    connectionString: nameResolutionDb,
  };
  writeFileSync(target, stringify(config));
}

/** Stops processes a previous run of this stack left behind (a launcher killed with SIGKILL). */
function reapStale(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as number[];
  for (const pid of pids) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(REPO_ROOT) || cmdline.includes('daprd') || cmdline.includes('azurite')) {
        process.kill(-pid, 'SIGKILL');
      }
    } catch {
      // gone
    }
  }
  rmSync(pidFile, { force: true });
}

async function httpStatus(url: string, timeoutMs = 1_500): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { status: 0, body: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Brings up Azurite and every app of dapr.yaml beside its own daprd, on 127.0.0.1, and waits
 * until each app's /health/ready and each sidecar's /v1.0/healthz answer.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const started = Date.now();
  const infra = options.infra ?? infraFromEnv();
  const { runDir } = options;
  mkdirSync(runDir, { recursive: true });
  const logDir = join(runDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const pidFile = join(runDir, 'pids.json');
  reapStale(pidFile);

  say(`checking Postgres (${infra.pgHost}:${infra.pgPort}) and Redis (${infra.redisHost}:${infra.redisPort})`);
  const problems = await preflight(infra, options.database, { recreate: options.fresh === true });
  if (problems.length > 0) throw new Error(`cannot start: \n  - ${problems.join('\n  - ')}`);
  if (options.fresh) await flushRedisDb(infra, options.redisDb);

  const daprd = await ensureDaprd();
  const apps = expandReplicas(
    readRunFile()
      .filter((a) => !options.only || options.only.includes(a.appId))
      .map((a) => shiftPorts(a, options.portOffset)),
    options.replicas,
  );

  const wanted = [options.azuriteBlobPort, ...apps.flatMap((a) => [a.port, a.internalPort, a.daprHttpPort, a.daprGrpcPort, a.daprInternalGrpcPort, a.metricsPort])];
  const busy: number[] = [];
  for (const port of wanted) if (!(await portIsFree(port))) busy.push(port);
  if (busy.length > 0) {
    throw new Error(
      `ports already in use on 127.0.0.1: ${busy.join(', ')}. Is another Strata stack running? ` +
        `Stop it, or free those ports.`,
    );
  }

  const blobEndpoint = `http://127.0.0.1:${options.azuriteBlobPort}/${AZURITE_ACCOUNT}`;
  const blobConnectionString =
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`;
  const databaseUrl = postgresUrl(infra, options.database);
  const stackRedisUrl = redisUrl(infra, options.redisDb);
  const secretsFile = join(runDir, 'secrets.json');
  writeSecrets(secretsFile, {
    [Secrets.postgresConnectionString]: databaseUrl,
    [Secrets.redisUrl]: stackRedisUrl,
    [Secrets.blobConnectionString]: blobConnectionString,
    [Secrets.wiringCheck]: randomBytes(16).toString('hex'),
    // kept across restarts like every generated secret: tokens stay valid over a restart
    [Secrets.tokenSigningKeys]: JSON.stringify({ keys: [await newSigningKey()] }),
  });
  const nameResolutionDb = join(runDir, 'nameresolution.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(nameResolutionDb + suffix, { force: true });
  const configFile = join(runDir, 'dapr-config.yaml');
  const sourceConfig = apps[0]?.configFile ?? join(REPO_ROOT, 'dapr/config/config.yaml');
  writeDaprConfig(sourceConfig, configFile, nameResolutionDb);

  // the sidecars authenticate themselves to their apps with this (apps refuse /dapr calls without it)
  const appApiToken = randomBytes(24).toString('base64url');
  const gatewayPort = apps.find((a) => a.appId === AppIds.gateway)?.port;
  const publicOrigins = gatewayPort ? `http://127.0.0.1:${gatewayPort},http://localhost:${gatewayPort}` : '';
  const managed: Managed[] = [];
  const savePids = () =>
    writeFileSync(pidFile, JSON.stringify(managed.map((m) => m.child.pid).filter((p) => p !== undefined)));
  let stopping = false;
  // stops everything below if this process dies without calling stop()
  const reaper = spawn(process.execPath, [join(REPO_ROOT, 'tools/dev/bin/reaper.mjs'), String(process.pid), pidFile], {
    detached: true,
    stdio: 'ignore',
  });
  reaper.unref();

  // Azurite
  const azuriteDir = join(runDir, 'azurite');
  if (options.fresh) rmSync(azuriteDir, { recursive: true, force: true });
  mkdirSync(azuriteDir, { recursive: true });
  const azurite = startProcess({
    name: 'azurite',
    command: process.execPath,
    args: [
      join(REPO_ROOT, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js'),
      '--blobHost', '127.0.0.1',
      '--blobPort', String(options.azuriteBlobPort),
      '--location', azuriteDir,
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
    ],
    cwd: runDir,
    env: process.env,
    ...(options.logToFiles ? { logFile: join(logDir, 'azurite.log') } : {}),
  });
  managed.push(azurite);
  savePids();

  const running = new Map<string, RunningApp>();
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // apps first, so they drain while their sidecars still answer; then sidecars; then Azurite
    await Promise.all([...running.values()].map((r) => stopProcess(r.app)));
    await Promise.all([...running.values()].map((r) => stopProcess(r.sidecar)));
    await stopProcess(azurite);
    rmSync(pidFile, { force: true });
    reaper.kill('SIGKILL');
  };

  try {
    await waitForPort(options.azuriteBlobPort, 20_000);

    const pretty = !options.logToFiles;
    for (const app of apps) {
      const common = { cwd: runDir };
      const sidecarArgs = daprdArgs({
        appId: app.appId,
        appPort: app.appPort,
        httpPort: app.daprHttpPort,
        grpcPort: app.daprGrpcPort,
        internalGrpcPort: app.daprInternalGrpcPort,
        metricsPort: app.metricsPort,
        configFile,
        resourcesPaths: app.resourcesPaths,
        logLevel: app.logLevel,
        maxBodyMiB: app.maxBodyMiB,
        healthCheckPath: app.healthCheckPath,
      });
      const sidecarEnv: NodeJS.ProcessEnv = {
        ...process.env,
        ...componentEnv({ secretsFile, redisHost: `${infra.redisHost}:${infra.redisPort}`, redisDb: options.redisDb }),
        APP_API_TOKEN: appApiToken,
      };
      const logName = app.replica === 0 ? app.appId : `${app.appId}-${app.replica}`;
      const sidecar = startProcess({
        name: `${app.key}:dapr`,
        command: daprd,
        args: sidecarArgs,
        env: sidecarEnv,
        ...common,
        ...(options.logToFiles ? { logFile: join(logDir, `${logName}-daprd.log`) } : {}),
      });
      const [command, ...args] = app.command;
      const proc = startProcess({
        name: app.key,
        command: command === 'node' ? process.execPath : (command ?? 'node'),
        args,
        cwd: app.appDir,
        env: {
          ...process.env,
          ...app.env,
          APP_ID: app.appId,
          PORT: String(app.port),
          INTERNAL_PORT: String(app.internalPort),
          APP_PORT: String(app.appPort),
          // the origins the browser calls the API from: the gateway's, as this stack serves it
          PUBLIC_ORIGINS: publicOrigins,
          DAPR_HTTP_PORT: String(app.daprHttpPort),
          DAPR_GRPC_PORT: String(app.daprGrpcPort),
          APP_API_TOKEN: appApiToken,
          LOG_FORMAT: pretty ? 'pretty' : 'json',
        },
        ...(options.logToFiles ? { logFile: join(logDir, `${logName}.log`) } : {}),
        onExit: (code, signal) => {
          if (!stopping) say(red(`${app.key} exited (${signal ?? `code ${code}`})`));
        },
      });
      managed.push(sidecar, proc);
      const { key, ...runApp } = app;
      running.set(key, { ...runApp, app: proc, sidecar });
      savePids();
    }

    await waitUntilReady(running, options.readyTimeoutMs ?? 120_000);
  } catch (error) {
    await stop();
    throw error;
  }

  const gateway = running.get(AppIds.gateway);
  say(green(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`) + dim(` (blob container ${BLOB_CONTAINER})`));
  return {
    options,
    appApiToken,
    apps: running,
    azurite,
    gatewayUrl: gateway ? `http://127.0.0.1:${gateway.port}` : '',
    blobConnectionString,
    databaseUrl,
    redisUrl: stackRedisUrl,
    secretsFile,
    daprConfigFile: configFile,
    daprdPath: daprd,
    resourcesPaths: apps[0]?.resourcesPaths ?? [],
    stop,
    stopApp: async (appId: string) => {
      const r = running.get(appId);
      if (r) await stopProcess(r.app);
    },
  };
}

async function waitUntilReady(apps: Map<string, RunningApp>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(apps.keys());
  const last = new Map<string, string>();
  let lastReport = Date.now();
  while (pending.size > 0) {
    for (const appId of [...pending]) {
      const app = apps.get(appId)!;
      if (app.app.child.exitCode !== null || app.sidecar.child.exitCode !== null) {
        const which = app.app.child.exitCode !== null ? app.app : app.sidecar;
        throw new Error(`${which.name} exited during start-up. Its last lines:\n${which.tail().slice(-25).join('\n')}`);
      }
      const [ready, sidecar] = await Promise.all([
        httpStatus(`http://127.0.0.1:${app.internalPort}/health/ready`),
        httpStatus(`http://127.0.0.1:${app.daprHttpPort}/v1.0/healthz`),
      ]);
      if (ready.status === 200 && sidecar.status === 204) {
        pending.delete(appId);
        say(`${bold(appId)} is ready`);
      } else {
        last.set(appId, `app ${ready.status || 'down'} ${ready.body.slice(0, 300)}; sidecar ${sidecar.status || 'down'}`);
      }
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      const details = [...pending].map((id) => `  ${id}: ${last.get(id) ?? 'no answer'}`).join('\n');
      throw new Error(`not ready after ${timeoutMs / 1000} s:\n${details}`);
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      say(dim(`waiting for ${[...pending].join(', ')}`));
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
