/**
 * The chaos scenarios. Each core (`killDuringUploads`, `postgresFaults`, ...) drives a stack it is
 * given (a SystemView) so the integration tests run short versions of them on the shared test
 * stack; each scenario of `npm run chaos` starts a stack of its own (and, where it stops one, its
 * own Postgres cluster or redis-server) around its core.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRequestCounters } from '../replicas.js';
import { type SystemView, allReady, killAndRecover, sleep, supervisor, terminateBackends, within } from './faults.js';
import { type Goal, type ScenarioResult, goal, workloadFigures, zero } from './report.js';
import { OWN_PORTS, type ChaosStack, chaosRunDir, startChaosStack } from './stack.js';
import { OwnPostgres, OwnRedis } from './servers.js';
import { Toxiproxy } from './toxiproxy.js';
import { Workload, call, chaosUsers } from './traffic.js';

export type Log = (line: string) => void;

export interface ScenarioOptions {
  /** The short version (what npm test runs): fewer uploads, fewer faults, the same goals. */
  short: boolean;
  offset: number;
  /** Keep the stack's logs and data (`--keep`), also kept when a goal failed. */
  keep: boolean;
  log: Log;
}

export interface Scenario {
  name: string;
  title: string;
  run(options: ScenarioOptions): Promise<ScenarioResult>;
}

const runIdOf = () => randomUUID().slice(0, 8);

/** A timeline that stamps each line with the seconds since the scenario began, and prints it. */
function timeline(log: Log) {
  const started = Date.now();
  const lines: string[] = [];
  return {
    started,
    lines,
    at: () => (Date.now() - started) / 1000,
    add(line: string) {
      const stamped = `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`;
      lines.push(stamped);
      log(stamped);
    },
  };
}

/** What each scenario begins with: its timeline, the restarts so far (those after are its own), its users. */
async function begin(view: SystemView, log: Log, users: number) {
  const t = timeline(log);
  const restartsBefore = supervisor(view).restarts.length;
  const runId = runIdOf();
  return { t, restartsBefore, runId, users: await chaosUsers(view.gatewayUrl, users, runId) };
}

const seconds = (ms: number | undefined) => (ms === undefined ? 'not back' : `${(ms / 1000).toFixed(1)} s`);

function result(scenario: string, title: string, t: ReturnType<typeof timeline>, parts: { figures: ScenarioResult['figures']; answers: ScenarioResult['answers']; goals: Goal[] }): ScenarioResult {
  return {
    scenario,
    title,
    startedAt: new Date(t.started).toISOString(),
    durationS: (Date.now() - t.started) / 1000,
    timeline: t.lines,
    ...parts,
    passed: parts.goals.every((g) => g.ok),
  };
}

/** Restarts the supervisor made that the scenario did not cause: a process that crashed. */
function crashesBesides(view: SystemView, caused: string[], since: number): string[] {
  const left = [...caused];
  const crashes: string[] = [];
  for (const r of supervisor(view).restarts.slice(since)) {
    const i = left.indexOf(r.name);
    if (i >= 0) left.splice(i, 1);
    else crashes.push(`${r.name} (${r.signal ?? `code ${r.code}`})`);
  }
  return crashes;
}

// ---------------------------------------------------------------------------------------------
// 1. kill -9 of each app and each sidecar during uploads and downloads

export interface KillOptions {
  victims: string[];
  uploads: number;
  uploadsPerSecond: number;
  downloadsPerSecond: number;
  users: number;
  /** Time between one victim's recovery and the next kill. */
  gapMs: number;
  log: Log;
}

export async function killDuringUploads(view: SystemView, options: KillOptions): Promise<ScenarioResult> {
  const { t, restartsBefore, runId, users } = await begin(view, options.log, options.users);
  t.add(`${users.length} users signed in; ${options.uploads} uploads at ${options.uploadsPerSecond}/s and downloads at ${options.downloadsPerSecond}/s begin`);
  const work = new Workload(view.gatewayUrl, users, runId, { uploadsPerSecond: options.uploadsPerSecond, downloadsPerSecond: options.downloadsPerSecond, maxUploads: options.uploads });
  work.start();
  await sleep(options.gapMs);
  const recoveries: number[] = [];
  let notBack = 0;
  for (const victim of options.victims) {
    const { pid, backMs } = await killAndRecover(view, victim);
    t.add(`kill -9 ${victim} (pid ${pid}): restarted and answering after ${seconds(backMs)}; ${work.acknowledged.length}/${work.uploads.length} uploads acknowledged so far`);
    if (backMs === undefined) notBack++;
    else recoveries.push(backMs);
    await sleep(options.gapMs);
  }
  await work.finish();
  const readyMs = await within(() => allReady(view), 90_000);
  t.add(`workload done; every app and sidecar ready ${seconds(readyMs)} later`);
  const verified = await work.verify();
  t.add(`verified ${work.acknowledged.length} acknowledged uploads: ${verified.lost} lost, ${verified.duplicated} duplicated`);
  const crashes = crashesBesides(view, options.victims, restartsBefore);
  const parts = workloadFigures(work, verified);
  parts.figures['processes killed'] = options.victims.length;
  parts.figures['slowest recovery (restart to answering)'] = seconds(Math.max(0, ...recoveries));
  parts.goals.push(
    zero('killed processes not back within 90 s', notBack),
    goal('no process crashed besides those killed', 'none', crashes.join(', ') || 'none', crashes.length === 0),
    goal('every app and sidecar ready at the end', '≤ 90 s', seconds(readyMs), readyMs !== undefined),
  );
  return result('kill', 'kill -9 of each app and sidecar during uploads and downloads', t, parts);
}

const ALL_PROCESSES = ['gateway', 'files', 'sessions', 'ratelimit', 'insights', 'ui'].flatMap((a) => [a, `${a}:dapr`]);

/** A chaos stack around a core; stopped (and its folder removed unless kept or failed) whatever happens. */
async function onOwnStack(
  name: string,
  options: ScenarioOptions,
  stackOptions: { pgPort?: number; redisPort?: number },
  core: (view: SystemView, stack: ChaosStack) => Promise<ScenarioResult>,
): Promise<ScenarioResult> {
  const runDir = chaosRunDir(name);
  options.log(`starting a stack of its own (offset ${options.offset}, logs in ${runDir}/logs)`);
  const stack = await startChaosStack({ scenario: name, runDir, offset: options.offset, ...stackOptions });
  let passed = false;
  try {
    const view: SystemView = {
      gatewayUrl: stack.gatewayUrl,
      apps: Object.fromEntries([...stack.stack.apps].map(([key, a]) => [key, { internalPort: a.internalPort, daprHttpPort: a.daprHttpPort }])),
      supervisorFile: stack.stack.supervisorFile,
      expectRestart: () => undefined,
    };
    const r = await core(view, stack);
    passed = r.passed;
    return r;
  } finally {
    await stack.stop(options.keep || !passed);
    if (options.keep || !passed) options.log(`logs kept in ${runDir}/logs`);
  }
}

export const killScenario: Scenario = {
  name: 'kill',
  title: 'kill -9 of each app and sidecar during uploads and downloads',
  run: (options) =>
    onOwnStack('kill', options, {}, (view) =>
      killDuringUploads(view, {
        victims: options.short ? ['files', 'files:dapr', 'gateway'] : ALL_PROCESSES,
        uploads: options.short ? 60 : 1_000,
        uploadsPerSecond: 4,
        downloadsPerSecond: 4,
        users: 8,
        gapMs: options.short ? 2_000 : 12_000,
        log: options.log,
      }),
    ),
};

// ---------------------------------------------------------------------------------------------
// 2. Postgres: every connection terminated, a restart, a crash, under uploads

export interface PostgresFaults {
  /** Ends every client session; how many. */
  terminate(): Promise<number>;
  /** A fast shutdown, a pause, and a start (a planned failover). Undefined where the server is not ours. */
  restart?(downMs: number): Promise<void>;
  /** kill -9 of the postmaster and a start (crash recovery). */
  crash?(): Promise<void>;
}

export async function postgresUnderLoad(view: SystemView, faults: PostgresFaults, options: { short: boolean; log: Log }): Promise<ScenarioResult> {
  const { t, restartsBefore, runId, users } = await begin(view, options.log, 4);
  const uploads = options.short ? 40 : 300;
  const work = new Workload(view.gatewayUrl, users, runId, { uploadsPerSecond: 3, downloadsPerSecond: 3, maxUploads: uploads });
  t.add(`${uploads} uploads at 3/s and downloads at 3/s begin`);
  work.start();
  const gap = options.short ? 3_000 : 12_000;
  await sleep(gap);
  for (let i = 0; i < 2; i++) {
    t.add(`pg_terminate_backend of every client session: ${await faults.terminate()} ended`);
    await sleep(gap);
  }
  if (faults.restart) {
    const downMs = options.short ? 2_000 : 10_000;
    t.add(`Postgres restarted (fast shutdown, down ${downMs / 1000} s)`);
    await faults.restart(downMs);
    t.add('Postgres is back');
    await sleep(gap);
  }
  if (faults.crash && !options.short) {
    t.add('kill -9 of the postmaster, then a start (crash recovery)');
    await faults.crash();
    t.add('Postgres is back');
    await sleep(gap);
  }
  const lastFault = Date.now();
  const readyMs = await within(() => allReady(view), 60_000);
  t.add(`every app ready ${seconds(readyMs)} after the last fault`);
  await work.finish();
  t.add(`workload done, ${Math.round((Date.now() - lastFault) / 1000)} s after the last fault`);
  const verified = await work.verify();
  t.add(`verified ${work.acknowledged.length} acknowledged uploads: ${verified.lost} lost, ${verified.duplicated} duplicated`);
  const crashes = crashesBesides(view, [], restartsBefore);
  const parts = workloadFigures(work, verified);
  parts.goals.push(
    goal('no process exited (pool errors are 503s, not crashes)', 'none', crashes.join(', ') || 'none', crashes.length === 0),
    goal('every app ready again after the last fault', '≤ 60 s', seconds(readyMs), readyMs !== undefined),
  );
  return result('postgres', 'Postgres sessions terminated, restarted and crashed under uploads', t, parts);
}

/** A Postgres cluster of the scenario's own in a temporary folder, removed at the end. */
async function withOwnPostgres<T>(port: number, use: (server: OwnPostgres) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-chaos-pg-'));
  const server = new OwnPostgres(port, dir);
  try {
    server.init();
    await server.start();
    return await use(server);
  } finally {
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The faults of a server of our own: every one of them, the server being nobody else's. */
export function ownPostgresFaults(server: OwnPostgres): PostgresFaults {
  const url = `postgres://postgres@127.0.0.1:${server.port}/postgres`;
  return {
    terminate: () => terminateBackends(url),
    restart: async (downMs) => {
      await server.stop();
      await sleep(downMs);
      await server.start();
    },
    crash: async () => {
      await server.kill();
      // its backends notice the postmaster's death and exit; until then the shared memory is theirs
      for (let attempt = 0; ; attempt++) {
        await sleep(1_000);
        try {
          await server.start(15_000);
          return;
        } catch (error) {
          if (attempt >= 10) throw error;
        }
      }
    },
  };
}

export const postgresScenario: Scenario = {
  name: 'postgres',
  title: 'Postgres sessions terminated, restarted and crashed under uploads',
  run: (options) =>
    withOwnPostgres(OWN_PORTS.postgres + options.offset, (server) =>
      onOwnStack('postgres', options, { pgPort: server.port }, (view) => postgresUnderLoad(view, ownPostgresFaults(server), options)),
    ),
};

// ---------------------------------------------------------------------------------------------
// 3. Redis: killed, paused with SIGSTOP, down for a minute

/** Deliveries of files.events to the gateway's live-events subscription so far (its /metrics). */
async function gatewayDeliveries(view: SystemView): Promise<number> {
  const res = await call(`http://127.0.0.1:${view.apps.gateway!.internalPort}/metrics`);
  let n = 0;
  for (const [key, v] of parseRequestCounters(res.body.toString('utf8'))) if (/^POST \/dapr\/events\/live\/files\.events 2/.test(key)) n += v;
  return n;
}

export async function redisUnderLoad(view: SystemView, server: OwnRedis, options: { short: boolean; log: Log }): Promise<ScenarioResult> {
  const { t, restartsBefore, runId, users } = await begin(view, options.log, 4);
  const pauseMs = options.short ? 5_000 : 30_000;
  const downMs = options.short ? 8_000 : 60_000;
  const deliveredBefore = await gatewayDeliveries(view);
  const work = new Workload(view.gatewayUrl, users, runId, { uploadsPerSecond: 2, downloadsPerSecond: 2, maxUploads: 100_000 });
  work.start();
  t.add('uploads at 2/s and downloads at 2/s begin');
  await sleep(5_000);
  await server.kill();
  t.add('kill -9 of redis-server');
  await sleep(5_000);
  await server.start();
  t.add('redis-server started again (empty: nothing is kept on disk)');
  const afterKill = await within(() => allReady(view), 30_000);
  t.add(`every app ready ${seconds(afterKill)} after Redis came back`);
  await sleep(5_000);
  server.pause();
  t.add(`SIGSTOP to redis-server for ${pauseMs / 1000} s`);
  await sleep(pauseMs);
  server.resume();
  t.add('SIGCONT');
  const afterPause = await within(() => allReady(view), 60_000);
  t.add(`every app ready ${seconds(afterPause)} after SIGCONT`);
  await sleep(5_000);
  await server.stop();
  const downAt = Date.now();
  t.add(`redis-server stopped for ${downMs / 1000} s`);
  await sleep(downMs);
  const upAt = Date.now();
  await server.start();
  t.add('redis-server started again');
  const acceptedWhileDown = work.acknowledged.filter((u) => u.acknowledgedAt! >= downAt && u.acknowledgedAt! < upAt).length;
  const startedWhileDown = work.uploads.filter((u) => u.startedAt >= downAt && u.startedAt < upAt).length;
  const afterDown = await within(() => allReady(view), 60_000);
  t.add(`every app ready ${seconds(afterDown)} after Redis came back`);
  await sleep(5_000);
  await work.stop();
  const acknowledged = work.acknowledged.length;
  const deliveredMs = await within(async () => (await gatewayDeliveries(view)) - deliveredBefore >= acknowledged, 60_000);
  const delivered = (await gatewayDeliveries(view)) - deliveredBefore;
  t.add(`${delivered} deliveries of files.events to the gateway for ${acknowledged} acknowledged uploads (${seconds(deliveredMs)} after the workload ended)`);
  const verified = await work.verify();
  t.add(`verified ${acknowledged} acknowledged uploads: ${verified.lost} lost, ${verified.duplicated} duplicated`);
  const crashes = crashesBesides(view, [], restartsBefore);
  const parts = workloadFigures(work, verified);
  parts.figures['uploads started while Redis was down'] = startedWhileDown;
  parts.figures['of them acknowledged while it was down'] = acceptedWhileDown;
  parts.figures['files.events deliveries to the gateway'] = delivered;
  parts.goals.push(
    goal('no process exited', 'none', crashes.join(', ') || 'none', crashes.length === 0),
    goal('ready again within 10 s of SIGCONT', '≤ 10 s', seconds(afterPause), afterPause !== undefined && afterPause <= 10_000),
    goal('uploads accepted while Redis is down', '> 0', acceptedWhileDown, acceptedWhileDown > 0),
    goal('every upload event delivered within 60 s of the end', `≥ ${acknowledged}`, delivered, deliveredMs !== undefined),
  );
  return result('redis', 'Redis killed, paused with SIGSTOP, and down for a while, under uploads', t, parts);
}

export const redisScenario: Scenario = {
  name: 'redis',
  title: 'Redis killed, paused with SIGSTOP, and down for a while, under uploads',
  run: async (options) => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-chaos-redis-'));
    const server = new OwnRedis(OWN_PORTS.redis + options.offset, dir);
    try {
      await server.start();
      return await onOwnStack('redis', options, { redisPort: server.port }, (view) => redisUnderLoad(view, server, options));
    } finally {
      server.resume();
      await server.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

// ---------------------------------------------------------------------------------------------
// 4. 500 ms latency and 5 % connection resets on Redis and Postgres (Toxiproxy)

export const latencyScenario: Scenario = {
  name: 'latency',
  title: '500 ms latency and 5 % connection resets on Postgres and Redis (Toxiproxy)',
  run: async (options) => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-chaos-toxi-'));
    const proxy = await Toxiproxy.create(OWN_PORTS.toxiproxyApi + options.offset, dir);
    const pgPort = OWN_PORTS.postgresProxy + options.offset;
    const redisPort = OWN_PORTS.redisProxy + options.offset;
    try {
      await proxy.start();
      // in front of the machine's servers, which are only proxied, never stopped
      await proxy.proxy('postgres', pgPort, 5432);
      await proxy.proxy('redis', redisPort, 6379);
      return await onOwnStack('latency', options, { pgPort, redisPort }, async (view) => {
        const { t, restartsBefore, runId, users } = await begin(view, options.log, 4);
        const faultMs = options.short ? 30_000 : 300_000;
        const work = new Workload(view.gatewayUrl, users, runId, { uploadsPerSecond: 1, downloadsPerSecond: 1, maxUploads: 100_000 });
        work.start();
        t.add('uploads at 1/s and downloads at 1/s begin');
        await sleep(5_000);
        for (const name of ['postgres', 'redis']) {
          await proxy.addToxic(name, { name: 'latency', type: 'latency', attributes: { latency: 500, jitter: 0 } });
          await proxy.addToxic(name, { name: 'resets', type: 'reset_peer', toxicity: 0.05, attributes: { timeout: 0 } });
        }
        t.add(`500 ms latency (each answer) and resets of 5 % of connections on Postgres and Redis, for ${faultMs / 1000} s`);
        await sleep(faultMs);
        for (const name of ['postgres', 'redis']) for (const toxic of ['latency', 'resets']) await proxy.removeToxic(name, toxic);
        t.add('toxics removed');
        const readyMs = await within(() => allReady(view), 60_000);
        t.add(`every app ready ${seconds(readyMs)} later`);
        await work.stop();
        const verified = await work.verify();
        t.add(`verified ${work.acknowledged.length} acknowledged uploads: ${verified.lost} lost, ${verified.duplicated} duplicated`);
        const crashes = crashesBesides(view, [], restartsBefore);
        const parts = workloadFigures(work, verified);
        parts.goals.push(goal('no process exited', 'none', crashes.join(', ') || 'none', crashes.length === 0), goal('every app ready after the toxics', '≤ 60 s', seconds(readyMs), readyMs !== undefined));
        return result('latency', latencyScenario.title, t, parts);
      });
    } finally {
      await proxy.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

// ---------------------------------------------------------------------------------------------
// 5. 50 concurrent appends with one expected version

export async function concurrentAppends(view: SystemView, options: { writers: number; log: Log }): Promise<ScenarioResult> {
  const t = timeline(options.log);
  const runId = runIdOf();
  const [user] = await chaosUsers(view.gatewayUrl, 1, runId);
  const auth = { authorization: `Bearer ${user!.token}` };
  const work = new Workload(view.gatewayUrl, [user!], runId, { uploadsPerSecond: 10, downloadsPerSecond: 0, maxUploads: 1 });
  work.start();
  await work.finish();
  const [file] = work.acknowledged;
  if (!file) throw new Error('the upload the renames need was not acknowledged');
  const [id] = file.ids;
  const head = await call(`${view.gatewayUrl}/api/v1/files/${id}`, { headers: auth });
  const etag = String(head.headers.etag ?? '');
  t.add(`one file uploaded (revision ${etag}); ${options.writers} renames with If-Match: ${etag} at once`);
  const answers = await Promise.all(
    Array.from({ length: options.writers }, (_, i) =>
      call(`${view.gatewayUrl}/api/v1/files/${id}`, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/json', 'if-match': etag }, body: JSON.stringify({ name: `chaos-${runId}-renamed-${i}.bin` }) }),
    ),
  );
  const tally = new Map<string, number>();
  for (const a of answers) tally.set(a.failure ?? String(a.status), (tally.get(a.failure ?? String(a.status)) ?? 0) + 1);
  const wins = tally.get('200') ?? 0;
  const conflicts = tally.get('412') ?? 0;
  const activity = await call(`${view.gatewayUrl}/api/v1/files/${id}`, { headers: auth });
  const finalEtag = String(activity.headers.etag ?? '');
  t.add(`answers: ${[...tally].map(([k, v]) => `${k}:${v}`).join(' ')}; revision now ${finalEtag}`);
  const revision = (e: string) => Number(/(\d+)/.exec(e)?.[1] ?? NaN);
  const goals = [
    goal('exactly one rename wins', '= 1', wins, wins === 1),
    goal('every other one is a 412 (stale If-Match)', `= ${options.writers - 1}`, conflicts, conflicts === options.writers - 1),
    goal('the revision moved by one', `= ${revision(etag) + 1}`, revision(finalEtag), revision(finalEtag) === revision(etag) + 1),
    zero('5xx answers', answers.filter((a) => a.status >= 500).length),
  ];
  return result('conflict', `${options.writers} concurrent appends with one expected version`, t, { figures: { writers: options.writers, 'won (200)': wins, 'conflicts (412)': conflicts }, answers: { renames: Object.fromEntries(tally) }, goals });
}

export const conflictScenario: Scenario = {
  name: 'conflict',
  title: '50 concurrent appends with one expected version (1 wins, 49 conflict)',
  run: (options) => onOwnStack('conflict', options, {}, (view) => concurrentAppends(view, { writers: 50, log: options.log })),
};

export const SCENARIOS: Scenario[] = [killScenario, postgresScenario, redisScenario, latencyScenario, conflictScenario];
