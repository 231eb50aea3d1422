import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestStackInfo } from './provided-context.js';

// The test harness: free ports, extra app instances and extra sidecars. The launcher (tools/dev)
// starts the stack's own sidecars with the same command line, from here. It imports no workspace
// package, so any package's tests may use it.

/** A port nothing listens on now (the kernel's pick), for a process about to listen on it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** What one daprd needs to know: who it is, where its app is, its own ports and resources. */
export interface SidecarSpec {
  appId: string;
  /** Where the sidecar talks to its app; none for a sidecar that only calls out (a partner). */
  appPort?: number;
  httpPort: number;
  grpcPort: number;
  internalGrpcPort: number;
  metricsPort: number;
  configFile: string;
  resourcesPaths: string[];
  logLevel?: string;
  maxBodyMiB?: number | undefined;
  readBufferKiB?: number | undefined;
  healthCheckPath?: string | undefined;
}

/**
 * daprd's command line for one sidecar on 127.0.0.1 (every listener of its own: the defaults
 * would clash between sidecars), written once for the launcher and the tests' extra sidecars.
 */
export function daprdArgs(spec: SidecarSpec): string[] {
  return [
    '--app-id', spec.appId,
    ...(spec.appPort !== undefined ? ['--app-port', String(spec.appPort), '--app-protocol', 'http'] : []),
    '--dapr-http-port', String(spec.httpPort),
    '--dapr-grpc-port', String(spec.grpcPort),
    '--dapr-internal-grpc-port', String(spec.internalGrpcPort),
    '--metrics-port', String(spec.metricsPort),
    '--dapr-listen-addresses', '127.0.0.1',
    '--dapr-internal-grpc-listen-address', '127.0.0.1',
    '--metrics-listen-address', '127.0.0.1',
    '--config', spec.configFile,
    '--log-level', spec.logLevel ?? 'warn',
    ...spec.resourcesPaths.flatMap((p) => ['--resources-path', p]),
    ...(spec.maxBodyMiB ? ['--max-body-size', `${spec.maxBodyMiB}Mi`] : []),
    ...(spec.readBufferKiB ? ['--read-buffer-size', `${spec.readBufferKiB}Ki`] : []),
    ...(spec.healthCheckPath ? ['--enable-app-health-check', '--app-health-check-path', spec.healthCheckPath] : []),
  ];
}

/** The variables components read by envRef (dapr/components, and dapr/prod-like/components). */
export const ComponentEnv = {
  secretsFile: 'STRATA_SECRETS_FILE',
  redisHost: 'STRATA_REDIS_HOST',
  redisDb: 'STRATA_REDIS_DB',
  storageAccount: 'STRATA_STORAGE_ACCOUNT',
  blobEndpoint: 'STRATA_BLOB_ENDPOINT',
  filesClientId: 'STRATA_FILES_CLIENT_ID',
  /** The folder the local mail sink (bindings.localstorage) writes one file per mail into. */
  mailDir: 'STRATA_MAIL_DIR',
} as const;

/** What the local components read by envRef (dapr/components): the stack's secrets file and Redis. */
export function componentEnv(stack: { secretsFile: string; redisHost: string; redisDb: number; mailDir: string }): Record<string, string> {
  return {
    [ComponentEnv.secretsFile]: stack.secretsFile,
    [ComponentEnv.redisHost]: stack.redisHost,
    [ComponentEnv.redisDb]: String(stack.redisDb),
    [ComponentEnv.mailDir]: stack.mailDir,
  };
}

/** The folder of a stack's mail sink: one file per mail sent (dapr/components/mail.yaml). */
export const mailDirOf = (runDir: string) => `${runDir}/mail`;

/** Polls `probe` until it says yes, or fails naming what it waited for (and why, if it knows). */
async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number, gone?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = gone?.();
    if (why) throw new Error(`${what}: ${why}`);
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An app as service-kit's buildServer returns it: both of its listeners, and close. */
interface BuiltApp {
  listen(options: { port: number; host: string }): Promise<string>;
  server: Server;
  internalListener: { listen(port: number, host: string): Promise<AddressInfo> };
  close(): Promise<unknown>;
}

export interface Instance<App extends BuiltApp> {
  server: App;
  /** The main listener (the app's API; the gateway's public entry). */
  url: string;
  /** The internal listener: probes, metrics, operator views. */
  internalUrl: string;
  close(): Promise<void>;
}

/**
 * An app built in this process (`buildServer`), listening as `runServer` would: both listeners,
 * on free ports. Another replica, as far as Postgres, Redis and Dapr can tell.
 */
export async function listenInstance<App extends BuiltApp>(app: App): Promise<Instance<App>> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const internal = await app.internalListener.listen(0, '127.0.0.1');
  const main = app.server.address() as AddressInfo;
  return {
    server: app,
    url: `http://127.0.0.1:${main.port}`,
    internalUrl: `http://127.0.0.1:${internal.port}`,
    close: async () => {
      await app.close();
    },
  };
}

export interface Sidecar {
  appId: string;
  httpPort: number;
  /** The sidecar's HTTP API: http://127.0.0.1:<port>. */
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * A daprd of its own, started the way the launcher starts the stack's (the same command line,
 * the stack's daprd, Configuration and name-resolution database, its Configuration and components
 * unless others are given), for an app-id the stack does not run: a partner that only calls out, or a test
 * that needs a component of its own.
 */
export async function startSidecar(
  stack: TestStackInfo,
  options: { appId: string; appPort?: number; resourcesPaths?: string[]; env?: Record<string, string>; cwd?: string; configFile?: string },
): Promise<Sidecar> {
  const [httpPort, grpcPort, internalGrpcPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const redis = new URL(stack.redisUrl);
  const child = spawn(
    stack.daprdPath,
    daprdArgs({
      appId: options.appId,
      ...(options.appPort !== undefined ? { appPort: options.appPort } : {}),
      httpPort,
      grpcPort,
      internalGrpcPort,
      metricsPort,
      configFile: options.configFile ?? stack.daprConfigFile,
      resourcesPaths: options.resourcesPaths ?? stack.resourcesPaths,
    }),
    {
      cwd: options.cwd ?? stack.runDir,
      env: {
        ...process.env,
        ...componentEnv({ secretsFile: stack.secretsFile, redisHost: redis.host, redisDb: Number(redis.pathname.slice(1) || 0), mailDir: mailDirOf(stack.runDir) }),
        ...options.env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${httpPort}`;
  try {
    await until(
      `the ${options.appId} sidecar`,
      async () => (await fetch(`${url}/v1.0/healthz/outbound`).then((r) => r.status, () => 0)) === 204,
      60_000,
      () => (child.exitCode !== null ? `daprd exited with ${child.exitCode}` : undefined),
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    appId: options.appId,
    httpPort,
    url,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One restart by the launcher's supervisor (tools/dev's RestartRecord). */
export interface RestartSnapshot {
  name: string;
  code: number | null;
  signal: string | null;
  upForMs: number;
  delayMs: number;
  count: number;
  at: string;
}

/** The launcher's supervisor state as `<runDir>/supervisor.json` holds it (tools/dev writes it). */
export interface SupervisorSnapshot {
  supervise: boolean;
  /** By process name: an app's key (`files`, `files#1`) or its sidecar's (`files:dapr`). */
  processes: Record<string, { pid: number | undefined; restarts: number; running: boolean }>;
  restarts: RestartSnapshot[];
}

/** What the stack's supervisor knows now: each app's and sidecar's pid and restarts. */
export function supervisorState(stack: Pick<TestStackInfo, 'supervisorFile'>): SupervisorSnapshot {
  return JSON.parse(readFileSync(stack.supervisorFile, 'utf8')) as SupervisorSnapshot;
}

/**
 * Restarts of the stack's own processes that a test causes on purpose (it kills one to see it
 * come back) are declared here first: at the end of the run any other restart fails the run, so
 * a crash the supervisor healed is still a failure of the test that caused it.
 */
export function expectRestart(stack: Pick<TestStackInfo, 'runDir'>, name: string): void {
  appendFileSync(expectedRestartsFile(stack.runDir), `${name}\n`);
}

export function expectedRestartsFile(runDir: string): string {
  return `${runDir}/expected-restarts`;
}

/** How many times the supervisor restarted one of the stack's processes (`gateway`, `gateway:dapr`). */
export function restartsOf(stack: Pick<TestStackInfo, 'supervisorFile'>, name: string): number {
  const state = supervisorState(stack).processes[name];
  if (!state) throw new Error(`the test stack runs no process named ${name}`);
  return state.restarts;
}

const REPO_ROOT = new URL('../../..', import.meta.url).pathname;

/** Registers a partner client with the sessions service's own script and returns its credentials. */
export async function registerPartner(stack: Pick<TestStackInfo, 'databaseUrl'>, scopes: string, name = 'Partner Example') {
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=development', '--import', 'tsx', 'scripts/register-partner.ts', '--name', name, '--scopes', scopes], {
    cwd: join(REPO_ROOT, 'services/sessions'),
    env: { ...process.env, DATABASE_URL: stack.databaseUrl },
  });
  const clientId = /client_id:\s+(\S+)/.exec(stdout)?.[1];
  const clientSecret = /client_secret:\s+(\S+)/.exec(stdout)?.[1];
  if (!clientId || !clientSecret) throw new Error(`unexpected output: ${stdout}`);
  return { clientId, clientSecret };
}

/** A client-credential token straight from sessions, like Client.user (the gateway allows an address few token calls a minute). */
export async function partnerToken(stack: Pick<TestStackInfo, 'apps' | 'appApiToken'>, clientId: string, clientSecret: string, scope: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${stack.apps.sessions!.appPort}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'dapr-api-token': stack.appApiToken },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope }).toString(),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
