import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppIds, BLOB_CONTAINER } from '@strata/contracts';
import { ensureDaprd } from './daprd.js';
import { bold, dim, green, red, say, warn } from './log.js';
import { REPO_ROOT } from './paths.js';
import { type Infra, infraFromEnv } from './preflight.js';
import { portIsFree } from './ports.js';
import type { Managed, SpawnOptions } from './proc.js';
import { type RestartRecord, Supervised, exitOf } from './supervise.js';
import { LOCAL_DAPR_CONFIG } from './profiles/common.js';
import { localProfile } from './profiles/local.js';
import type { Profile, ProfileName, RunningProfile } from './profiles/profile.js';
import { prodLikeProfile } from './profiles/prod-like.js';
import { type RunApp, readRunFile, shiftPorts } from './runfile.js';
import { overrideConflicts } from './settings.js';
import { type SupervisorSnapshot, daprdArgs } from '@strata/testing/harness';

export { AZURITE_ACCOUNT, AZURITE_KEY } from './infra/azurite.js';
export { PROFILES, type ProfileName, isProfile } from './profiles/profile.js';
export { type RestartRecord, DEFAULT_BACKOFF } from './supervise.js';

const PROFILE_OF: Record<ProfileName, Profile> = { local: localProfile, 'prod-like': prodLikeProfile };

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
  /** `local` (default): the machine's Redis and Postgres; `prod-like`: deploy/'s Dapr configuration on stand-ins of the Azure services. */
  profile?: ProfileName;
  /**
   * Keep the stack up when an app cannot start or get ready (the production-like profile, whose
   * apps are not all ready for it yet): the infrastructure and sidecars stay, and `failed` says
   * which app failed and why. Otherwise any failure stops the stack and throws.
   */
  allowFailedApps?: boolean;
  /**
   * Restart an app or sidecar that exits on its own once the stack is up, with backoff, as the
   * kubelet does (default true). false leaves a dead process dead: `npm start -- --no-restart`,
   * STRATA_TEST_SUPERVISE=0 for the tests. A process the launcher stops (stop, stopApp) is never
   * restarted either way.
   */
  supervise?: boolean;
}

export interface RunningApp extends RunApp {
  app: Supervised;
  sidecar: Supervised;
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
  profile: ProfileName;
  /**
   * What every sidecar presents to its app in the local profile (one token for all); tests that call
   * an app's port directly present it too. Empty in the production-like profile: see `appTokens`.
   */
  appApiToken: string;
  /** What each app's sidecar presents to it, by app-id (one per app in the production-like profile, as on AKS). */
  appTokens: Record<string, string>;
  /** What apps present to their sidecars' API (dapr-api-token), when the sidecars demand one (production-like). */
  daprApiToken?: string;
  /** The CA of the stack's TLS services (production-like), for clients of them outside the apps. */
  caFile?: string;
  apps: Map<string, RunningApp>;
  /** Apps that did not start or get ready (only with allowFailedApps), with the reason. */
  failed: Map<string, string>;
  azurite: Managed;
  gatewayUrl: string;
  /** Empty in the production-like profile, where no app may use an account key. */
  blobConnectionString: string;
  databaseUrl: string;
  redisUrl: string;
  secretsFile: string;
  /**
   * The Dapr Configuration of the stack's sidecars in the local profile (its own name-resolution
   * database); in the production-like profile, the one for sidecars outside deploy/ (partners, tests).
   */
  daprConfigFile: string;
  /** The daprd the sidecars run, and the components and configuration folders they read. */
  daprdPath: string;
  resourcesPaths: string[];
  stop(): Promise<void>;
  /** Stops one app's process (not its sidecar) for good: it is not restarted. Used by tests of failure and recovery. */
  stopApp(appId: string): Promise<void>;
  /** Every restart so far, oldest first. */
  restarts(): RestartRecord[];
  /** `<runDir>/supervisor.json` (SupervisorState): what the supervisor knows, for readers outside this process (tests). */
  supervisorFile: string;
}

/** What `<runDir>/supervisor.json` holds, rewritten at each start, exit and restart of an app or sidecar (read by @strata/testing's supervisorState). */
export type SupervisorState = SupervisorSnapshot;

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

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function httpStatus(url: string, timeoutMs = 1_500): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { status: 0, body: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Brings up the profile's infrastructure (Azurite, and the production-like stand-ins) and every
 * app of dapr.yaml beside its own daprd, on 127.0.0.1, and waits until each app's /health/ready
 * and each sidecar's /v1.0/healthz answer.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const started = Date.now();
  const infra = options.infra ?? infraFromEnv();
  const profile = PROFILE_OF[options.profile ?? 'local'];
  const { runDir } = options;
  mkdirSync(runDir, { recursive: true });
  const logDir = join(runDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const pidFile = join(runDir, 'pids.json');
  reapStale(pidFile);

  const daprd = await ensureDaprd();
  const runApps = readRunFile()
    .filter((a) => !options.only || options.only.includes(a.appId))
    .map((a) => shiftPorts(a, options.portOffset));
  const apps = expandReplicas(runApps, options.replicas);

  const wanted = [
    ...profile.ports({ portOffset: options.portOffset, azuriteBlobPort: options.azuriteBlobPort }),
    ...apps.flatMap((a) => [a.port, a.internalPort, a.daprHttpPort, a.daprGrpcPort, a.daprInternalGrpcPort, a.metricsPort]),
  ];
  const busy: number[] = [];
  for (const port of wanted) if (!(await portIsFree(port))) busy.push(port);
  if (busy.length > 0) {
    throw new Error(
      `ports already in use on 127.0.0.1: ${busy.join(', ')}. Is another Strata stack running? ` +
        `Stop it, or free those ports.`,
    );
  }

  const nameResolutionDb = join(runDir, 'nameresolution.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(nameResolutionDb + suffix, { force: true });

  const gatewayPort = apps.find((a) => a.appId === AppIds.gateway)?.port;
  const publicOrigins = gatewayPort ? `http://127.0.0.1:${gatewayPort},http://localhost:${gatewayPort}` : '';
  const managed: Managed[] = [];
  const savePids = () =>
    writeFileSync(pidFile, JSON.stringify(managed.map((m) => m.child.pid).filter((p) => p !== undefined)));
  const track = (proc: Managed) => {
    managed.push(proc);
    savePids();
  };
  const supervise = options.supervise !== false;
  const supervisorFile = join(runDir, 'supervisor.json');
  const restarts: RestartRecord[] = [];
  const supervised: Supervised[] = [];
  const saveSupervisor = () => {
    const state: SupervisorState = {
      supervise,
      processes: Object.fromEntries(
        supervised.map((p) => [p.name, { pid: p.child.pid, restarts: p.restarts, running: p.child.exitCode === null && p.child.signalCode === null }]),
      ),
      restarts,
    };
    writeFileSync(supervisorFile, `${JSON.stringify(state, null, 2)}\n`);
  };
  let stopping = false;
  // stops everything below if this process dies without calling stop()
  const reaper = spawn(process.execPath, [join(REPO_ROOT, 'tools/dev/bin/reaper.mjs'), String(process.pid), pidFile], {
    detached: true,
    stdio: 'ignore',
  });
  reaper.unref();

  const running = new Map<string, RunningApp>();
  /**
   * Starts an app or a sidecar under the supervisor: each exit is printed with its code or signal
   * and, once the stack is up and unless told otherwise, answered with a restart (backoff 0.5 s
   * doubling to 30 s); `probe` says when a restarted process answers again.
   */
  const keepRunning = (spawnOptions: SpawnOptions, probe: string): Supervised => {
    const proc = new Supervised(spawnOptions, {
      onStart: () => {
        savePids();
        saveSupervisor();
      },
      onExit: ({ code, signal, upForMs, restartInMs }) => {
        saveSupervisor();
        if (stopping) return;
        const how = `${spawnOptions.name} exited (${exitOf(code, signal)}) after ${seconds(upForMs)}`;
        if (restartInMs !== undefined) say(red(`${how}; restarting in ${seconds(restartInMs)}`));
        else say(red(ready && !supervise ? `${how}; not restarted (supervision is off)` : how));
      },
      onRestart: (record) => {
        restarts.push(record);
        saveSupervisor();
        warn(`${record.name} restarted (its restart ${record.count}; ${restarts.length} in this stack so far)`);
        void announceRecovery(proc, probe, record.count);
      },
    });
    supervised.push(proc);
    track(proc);
    return proc;
  };
  /** Says when a restarted process answers its probe again (or, after two minutes, that it does not). */
  const announceRecovery = async (proc: Supervised, probe: string, count: number) => {
    const since = Date.now();
    const child = proc.child;
    while (!stopping && proc.child === child && child.exitCode === null && child.signalCode === null) {
      const { status } = await httpStatus(probe);
      if (status === 200 || status === 204) {
        say(green(`${proc.name} answers again, ${seconds(Date.now() - since)} after its restart ${count}`));
        return;
      }
      if (Date.now() - since > 120_000) {
        warn(`${proc.name} does not answer ${probe} 2 minutes after its restart ${count}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  let ready = false;
  let infrastructure: { stop(): Promise<void> } | undefined;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // nothing is restarted from here on, whatever exits first
    for (const proc of supervised) proc.disarm();
    // apps first, so they drain while their sidecars still answer; then sidecars; then the infrastructure
    await Promise.all([...running.values()].map((r) => r.app.stop()));
    await Promise.all([...running.values()].map((r) => r.sidecar.stop()));
    await infrastructure?.stop();
    rmSync(pidFile, { force: true });
    reaper.kill('SIGKILL');
  };

  let setup: RunningProfile;
  try {
    setup = await profile.start({
      runDir,
      portOffset: options.portOffset,
      database: options.database,
      redisDb: options.redisDb,
      azuriteBlobPort: options.azuriteBlobPort,
      fresh: options.fresh === true,
      infra,
      appIds: runApps.map((a) => a.appId),
      nameResolutionDb,
      localConfig: runApps[0]?.configFile ?? LOCAL_DAPR_CONFIG,
      localResourcesPaths: runApps[0]?.resourcesPaths ?? [],
      ctx: { logDir: options.logToFiles ? logDir : undefined, track },
    });
    infrastructure = setup;
  } catch (error) {
    await stop();
    throw error;
  }

  let failed = new Map<string, string>();
  const pretty = !options.logToFiles;
  const envOf = (app: RunApp): NodeJS.ProcessEnv => ({
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
    LOG_FORMAT: pretty ? 'pretty' : 'json',
    ...setup.appEnv(app),
  });
  // an address in an app's environment wins over the secrets every other process reads: refuse it
  const secrets = JSON.parse(readFileSync(setup.secretsFile, 'utf8')) as Record<string, string>;
  const conflicts = overrideConflicts(apps.map((app) => ({ app: app.key, env: envOf(app) })), secrets);
  if (conflicts.length > 0) {
    await stop();
    throw new Error(`cannot start: a setting disagrees with the stack's own\n  - ${conflicts.join('\n  - ')}`);
  }
  try {
    for (const app of apps) {
      const sidecarSetup = setup.sidecar(app);
      const sidecarArgs = daprdArgs({
        appId: app.appId,
        appPort: app.appPort,
        httpPort: app.daprHttpPort,
        grpcPort: app.daprGrpcPort,
        internalGrpcPort: app.daprInternalGrpcPort,
        metricsPort: app.metricsPort,
        configFile: sidecarSetup.configFile,
        resourcesPaths: sidecarSetup.resourcesPaths,
        logLevel: app.logLevel,
        maxBodyMiB: app.maxBodyMiB,
        readBufferKiB: app.readBufferKiB,
        healthCheckPath: app.healthCheckPath,
      });
      const logName = app.replica === 0 ? app.appId : `${app.appId}-${app.replica}`;
      const sidecar = keepRunning(
        {
          name: `${app.key}:dapr`,
          command: daprd,
          args: [...sidecarArgs, ...sidecarSetup.args],
          env: { ...process.env, ...sidecarSetup.env },
          cwd: runDir,
          ...(options.logToFiles ? { logFile: join(logDir, `${logName}-daprd.log`) } : {}),
        },
        `http://127.0.0.1:${app.daprHttpPort}/v1.0/healthz`,
      );
      const [command, ...args] = app.command;
      const proc = keepRunning(
        {
          name: app.key,
          command: command === 'node' ? process.execPath : (command ?? 'node'),
          args,
          cwd: app.appDir,
          env: envOf(app),
          ...(options.logToFiles ? { logFile: join(logDir, `${logName}.log`) } : {}),
        },
        `http://127.0.0.1:${app.internalPort}/health/ready`,
      );
      const { key, ...runApp } = app;
      running.set(key, { ...runApp, app: proc, sidecar });
    }

    failed = await waitUntilReady(running, options.readyTimeoutMs ?? 120_000, options.allowFailedApps === true);
  } catch (error) {
    await stop();
    throw error;
  }

  // from here on an exit is a crash to answer, not a failure to start
  ready = true;
  if (supervise) for (const [key, r] of running) if (!failed.has(key)) [r.app, r.sidecar].forEach((p) => p.arm());
  saveSupervisor();
  const gateway = running.get(AppIds.gateway);
  const readyApps = running.size - failed.size;
  say(green(`${readyApps} of ${running.size} apps ready in ${((Date.now() - started) / 1000).toFixed(1)} s`) + dim(` (${setup.name} profile, blob container ${BLOB_CONTAINER})`));
  for (const line of setup.summary) say(dim(line));
  for (const [key, reason] of failed) warn(`${key} is not running on the ${setup.name} profile: ${reason}`);
  return {
    options,
    profile: setup.name,
    appApiToken: setup.name === 'local' ? (Object.values(setup.appTokens)[0] ?? '') : '',
    appTokens: setup.appTokens,
    ...(setup.daprApiToken ? { daprApiToken: setup.daprApiToken } : {}),
    ...(setup.caFile ? { caFile: setup.caFile } : {}),
    apps: running,
    failed,
    azurite: setup.azurite.processes[0]!,
    gatewayUrl: gateway && !failed.has(AppIds.gateway) ? `http://127.0.0.1:${gateway.port}` : '',
    blobConnectionString: setup.blobConnectionString,
    databaseUrl: setup.databaseUrl,
    redisUrl: setup.redisUrl,
    secretsFile: setup.secretsFile,
    daprConfigFile: setup.daprConfigFile,
    daprdPath: daprd,
    resourcesPaths: setup.resourcesPaths,
    stop,
    stopApp: async (appId: string) => {
      const r = running.get(appId);
      if (r) await r.app.stop();
      saveSupervisor();
    },
    restarts: () => [...restarts],
    supervisorFile,
  };
}

/** Why an app is not running: the last lines of what exited, or what its probes answered last. */
function lastWords(proc: Managed): string {
  const lines = proc.tail().filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => /error|fatal|fail|denied|refused/i.test(l));
  return (errors.length > 0 ? errors : lines).slice(-3).join(' | ').slice(0, 600);
}

/**
 * Waits until every app answers /health/ready and its sidecar /v1.0/healthz. Without `tolerate`
 * the first exit or the deadline throws; with it, the apps that exited or were not ready by the
 * deadline come back with their reason, as long as their sidecars run (a sidecar that exits is a
 * failure of the profile itself and always throws).
 */
async function waitUntilReady(apps: Map<string, RunningApp>, timeoutMs: number, tolerate: boolean): Promise<Map<string, string>> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(apps.keys());
  const failed = new Map<string, string>();
  const last = new Map<string, string>();
  let lastReport = Date.now();
  while (pending.size > 0) {
    for (const appId of [...pending]) {
      const app = apps.get(appId)!;
      const sidecarGone = app.sidecar.child.exitCode !== null;
      if (sidecarGone || app.app.child.exitCode !== null) {
        const which = sidecarGone ? app.sidecar : app.app;
        if (!tolerate || sidecarGone) throw new Error(`${which.name} exited during start-up. Its last lines:\n${which.tail().slice(-25).join('\n')}`);
        failed.set(appId, `exited during start-up: ${lastWords(app.app)}`);
        pending.delete(appId);
        continue;
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
      if (!tolerate) {
        const details = [...pending].map((id) => `  ${id}: ${last.get(id) ?? 'no answer'}`).join('\n');
        throw new Error(`not ready after ${timeoutMs / 1000} s:\n${details}`);
      }
      for (const id of pending) failed.set(id, `not ready after ${timeoutMs / 1000} s: ${last.get(id) ?? 'no answer'}; ${lastWords(apps.get(id)!.app)}`);
      break;
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      say(dim(`waiting for ${[...pending].join(', ')}`));
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return failed;
}
