import { type ChildProcess, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ensureDaprd } from '@strata/dev/daprd';
import { REPO_ROOT } from '@strata/dev/paths';
import { freePort } from '@strata/dev/ports';
import type { TestStackInfo } from '@strata/dev/provided-context';
import { componentEnv, daprdArgs } from '@strata/dev/sidecar';
import { type BaseConfig, type ServerOptions, buildServer } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';

export { freePort };

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

export interface Instance {
  server: FastifyInstance;
  /** The main listener (the app's API; the gateway's public entry). */
  url: string;
  /** The internal listener: probes, metrics, operator views. */
  internalUrl: string;
  close(): Promise<void>;
}

/**
 * One more instance of an app in this process, built as server.ts builds it (another replica, as
 * far as Postgres, Redis and Dapr can tell), listening on free ports: both listeners, as
 * `runServer` would. Without `listen` it is only made ready, for `inject`.
 */
export async function startInstance<C extends BaseConfig>(options: ServerOptions<C> & { listen?: boolean }): Promise<Instance> {
  const server = await buildServer(options);
  if (options.listen === false) {
    await server.ready();
    return { server, url: '', internalUrl: '', close: () => server.close() };
  }
  await server.listen({ port: 0, host: '127.0.0.1' });
  const internal: AddressInfo = await server.internalListener.listen(0, '127.0.0.1');
  const main = server.server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${main.port}`, internalUrl: `http://127.0.0.1:${internal.port}`, close: () => server.close() };
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
 * the stack's Configuration and name-resolution database, its components unless others are
 * given), for an app-id the stack does not run: a partner that only calls out, or a test that
 * needs a component of its own.
 */
export async function startSidecar(
  stack: TestStackInfo,
  options: { appId: string; appPort?: number; resourcesPaths?: string[]; env?: Record<string, string>; cwd?: string },
): Promise<Sidecar> {
  const [httpPort, grpcPort, internalGrpcPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const redis = new URL(stack.redisUrl);
  const child = spawn(
    await ensureDaprd(),
    daprdArgs({
      appId: options.appId,
      ...(options.appPort !== undefined ? { appPort: options.appPort } : {}),
      httpPort,
      grpcPort,
      internalGrpcPort,
      metricsPort,
      configFile: stack.daprConfigFile,
      resourcesPaths: options.resourcesPaths ?? [join(REPO_ROOT, 'dapr/components'), join(REPO_ROOT, 'dapr/config')],
    }),
    {
      cwd: options.cwd ?? stack.runDir,
      env: {
        ...process.env,
        ...componentEnv({ secretsFile: stack.secretsFile, redisHost: redis.host, redisDb: Number(redis.pathname.slice(1) || 0) }),
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
