/** Fault injection on a running stack, and the probes that say it came back. */
import { readFileSync } from 'node:fs';
import pg from 'pg';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a scenario needs to know of the stack it drives: the chaos tool's own stack or the tests' shared one. */
export interface SystemView {
  gatewayUrl: string;
  apps: Record<string, { internalPort: number; daprHttpPort: number }>;
  /** tools/dev's supervisor.json: each process's pid and restarts. */
  supervisorFile: string;
  /** Declares a restart the scenario causes (the test stack fails a run on any restart not declared). */
  expectRestart(name: string): void;
}

interface Supervisor {
  supervise: boolean;
  processes: Record<string, { pid: number | undefined; restarts: number; running: boolean }>;
  restarts: { name: string; signal: string | null; code: number | null }[];
}

export const supervisor = (view: SystemView): Supervisor => JSON.parse(readFileSync(view.supervisorFile, 'utf8')) as Supervisor;

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Polls until `probe` holds; the milliseconds it took, or undefined after `timeoutMs`. */
export async function within(probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number | undefined> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) return undefined;
    await sleep(200);
  }
}

/** An app answers /health/ready with 200, or a sidecar (`<app>:dapr`) /v1.0/healthz with 204. */
export async function answers(view: SystemView, name: string): Promise<boolean> {
  const [app, sidecar] = name.split(':');
  const ports = view.apps[app!];
  if (!ports) throw new Error(`no app ${app} in this stack`);
  if (sidecar) return (await status(`http://127.0.0.1:${ports.daprHttpPort}/v1.0/healthz`)) === 204;
  return (await status(`http://127.0.0.1:${ports.internalPort}/health/ready`)) === 200;
}

export async function allReady(view: SystemView): Promise<boolean> {
  const names = Object.keys(view.apps).flatMap((a) => [a, `${a}:dapr`]);
  return (await Promise.all(names.map((n) => answers(view, n)))).every(Boolean);
}

/**
 * kill -9 of one process of the stack (an app or its sidecar), as a crash would; then the time
 * until the supervisor restarted it and it answers its probe again (undefined: not within 90 s).
 */
export async function killAndRecover(view: SystemView, name: string): Promise<{ pid: number; backMs: number | undefined }> {
  const state = supervisor(view);
  if (!state.supervise) throw new Error('the stack is not supervised: a killed process would stay dead');
  const proc = state.processes[name];
  if (!proc?.pid || !proc.running) throw new Error(`${name} is not running`);
  const before = proc.restarts;
  view.expectRestart(name);
  process.kill(proc.pid, 'SIGKILL');
  const backMs = await within(async () => (supervisor(view).processes[name]?.restarts ?? 0) > before && (await answers(view, name)), 90_000);
  return { pid: proc.pid, backMs };
}

/** Ends every client session of a Postgres server (what an Azure HA failover does to each client); how many. */
export async function terminateBackends(connectionString: string, onlyDatabase?: string): Promise<number> {
  const client = new pg.Client({ connectionString, application_name: 'strata-chaos', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `select count(*) filter (where pg_terminate_backend(pid)) as n from pg_stat_activity
        where pid <> pg_backend_pid() and backend_type = 'client backend' and ($1::text is null or datname = $1)`,
      [onlyDatabase ?? null],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
