import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultPorts } from '@strata/contracts';
import capacityScenario, { sweep } from '../scenarios/capacity.js';
import { defaultTarget, option } from './args.js';
import { type LoadUser, Target, newRunId, probeFiles, registerAndSignIn, send } from './http.js';
import { LOAD_ROOT } from './paths.js';
import { type Proc, findProcesses, requestsServed, sampler } from './procstat.js';
import { type RunResult, runScenario, usersNeeded } from './runner.js';
import { FILE_KINDS } from './scenario.js';
import { writeResult } from './summary.js';

interface ServiceAtStep {
  rps: number;
  appCpuCores: number;
  sidecarCpuCores: number;
  appRssMiB: number;
  sidecarRssMiB: number;
}

export interface Step {
  phase: 'coarse' | 'confirm' | 'refine';
  rate: number;
  passed: boolean;
  /** The thresholds that broke, as `metric expression (actual)`. */
  broke: string[];
  p95: number;
  p99: number;
  errorRate: number;
  dropped: number;
  achievedRps: number;
  loadAverage: number[];
  services: Record<string, ServiceAtStep>;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Where the sweep goes next, given the steps so far: the rates held and broken decide a coarse
 * step up, a confirmation of a first break, a bisection, or the end. Pure, so it is unit-tested.
 */
export function nextRate(steps: readonly Pick<Step, 'phase' | 'rate' | 'passed'>[], s: typeof sweep = sweep): { rate: number; phase: Step['phase'] } | undefined {
  const held = steps.filter((x) => x.passed).map((x) => x.rate);
  const highestHeld = held.length ? Math.max(...held) : 0;
  // a rate is broken when it broke twice, or broke once above a rate that also broke
  const brokenOnce = steps.filter((x) => !x.passed).map((x) => x.rate);
  const confirmed = brokenOnce.filter((r) => brokenOnce.filter((b) => b === r).length >= 2 || steps.some((x) => x.phase === 'refine' && !x.passed && x.rate === r) || steps.some((x) => x.phase === 'confirm' && !x.passed && x.rate === r));
  const last = steps[steps.length - 1];
  if (!last) return { rate: s.startRate, phase: 'coarse' };
  if (!last.passed && last.phase === 'coarse') return { rate: last.rate, phase: 'confirm' };
  const lowestBroken = confirmed.length ? Math.min(...confirmed) : undefined;
  if (lowestBroken === undefined) {
    // nothing broken (a confirm that held counts as held): keep climbing
    const coarse = steps.filter((x) => x.phase === 'coarse').length;
    if (highestHeld >= s.ceilingRate || coarse >= s.maxSteps) return undefined;
    return { rate: Math.min(s.ceilingRate, round1(Math.max(highestHeld, last.rate) * s.factor)), phase: 'coarse' };
  }
  if (highestHeld === 0) return undefined;
  const refined = steps.filter((x) => x.phase === 'refine').length;
  if (refined >= s.refineSteps || lowestBroken / highestHeld < 1.08) return undefined;
  return { rate: round1(Math.sqrt(highestHeld * lowestBroken)), phase: 'refine' };
}

async function servedBy(services: Record<string, number>): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(Object.entries(services).map(async ([s, port]) => [s, await requestsServed(port).catch(() => 0)] as const)));
}

function brokenThresholds(result: RunResult): string[] {
  return result.thresholds.filter((t) => t.verdict === 'fail').map((t) => `${t.key} ${t.expression} (actual ${t.actual === undefined ? '-' : t.metric === 'http_req_duration' ? `${t.actual.toFixed(0)}ms` : t.stat === 'rate' ? `${(t.actual * 100).toFixed(2)}%` : String(t.actual)})`);
}

/**
 * Steps the arrival rate up (one replica of each service) until a threshold breaks, then narrows
 * the breaking point, sampling each app's and sidecar's CPU and RSS from /proc and the requests each
 * served from its /metrics.
 */
export async function capacityCommand(args: string[]): Promise<number> {
  const target = option(args, '--target') ?? defaultTarget();
  const offset = Number(new URL(target).port) - DefaultPorts.gateway.app;
  // metrics are on each app's internal listener; the gateway's sidecar talks to that one too
  const services = Object.fromEntries(Object.entries(DefaultPorts).map(([s, p]) => [s, p.internal + offset]));
  const procs: Proc[] = findProcesses(Object.fromEntries(Object.entries(DefaultPorts).map(([s, p]) => [s, [p.app + offset, p.internal + offset]])));
  if (!procs.some((p) => p.service === 'gateway')) throw new Error(`no gateway process found for ${target} (is the stack up?)`);
  // a second replica of any service would split its work and make "one replica" meaningless
  const extra = await Promise.all(Object.entries(services).map(async ([s, p]) => ((await requestsServed(p + 100).catch(() => undefined)) !== undefined ? s : undefined)));
  if (extra.some(Boolean)) throw new Error(`a second replica of ${extra.filter(Boolean).join(', ')} is running: capacity measures one replica each (start the stack without --replicas)`);
  say(`processes: ${procs.map((p) => `${p.service}:${p.role}=${p.pid}`).join(' ')}`);
  const load0 = loadavg();
  say(`load average before: ${load0.map((x) => x.toFixed(2)).join(' ')}`);

  const base = capacityScenario({});
  const client = new Target(target, 8);
  const runId = newRunId();
  const users: LoadUser[] = [];
  /** Enough users that none exceeds the per-user limit at `rate`; each new one uploads a file to download. */
  const ensureUsers = async (rate: number) => {
    const wanted = usersNeeded({ ...base, stages: [{ durationS: 1, targetRate: rate }] }, 100);
    if (users.length >= wanted) return;
    const t0 = performance.now();
    let next = users.length;
    const worker = async () => {
      while (next < wanted) {
        const i = next++;
        const user = await registerAndSignIn(client, `load-${runId}-${i}@example.test`);
        await send(client, 'upload-small', user).catch(() => undefined);
        users.push(user);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    say(`  set-up: ${users.length} users (for ${rate}/s) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };
  await ensureUsers(sweep.startRate);
  const files = await probeFiles(client, users[0]!);
  if (!files.available) throw new Error(`the files kinds (${FILE_KINDS.join(', ')}) are in the capacity mix but the files service does not answer: ${files.reason}`);

  const steps: Step[] = [];
  const deadline = Date.now() + sweep.maxMinutes * 60_000;
  for (let plan = nextRate(steps); plan && Date.now() < deadline; plan = nextRate(steps)) {
    const { rate, phase } = plan;
    await ensureUsers(rate);
    await sleep(sweep.pauseS * 1000); // what the last step left queued drains
    const loadAverage = loadavg();
    const before = await servedBy(services);
    const cpu = sampler(procs);
    cpu.start();
    const result = await runScenario({ ...base, startRate: rate, stages: [{ durationS: sweep.stepS, targetRate: rate }] }, { target, prepared: users });
    const usage = cpu.stop();
    const after = await servedBy(services);
    const perService: Record<string, ServiceAtStep> = {};
    for (const s of Object.keys(services)) {
      const app = procs.find((p) => p.service === s && p.role === 'app');
      const car = procs.find((p) => p.service === s && p.role === 'sidecar');
      perService[s] = {
        rps: (after[s]! - before[s]!) / result.durationS,
        appCpuCores: app ? usage.get(app.pid)!.cpuCores : 0,
        sidecarCpuCores: car ? usage.get(car.pid)!.cpuCores : 0,
        appRssMiB: app ? usage.get(app.pid)!.rssMiB : 0,
        sidecarRssMiB: car ? usage.get(car.pid)!.rssMiB : 0,
      };
    }
    const step: Step = {
      phase,
      rate,
      passed: result.passed,
      broke: brokenThresholds(result),
      p95: result.totals.latencyMs.p95,
      p99: result.totals.latencyMs.p99,
      errorRate: result.totals.errorRate,
      dropped: result.totals.dropped,
      achievedRps: result.totals.rps,
      loadAverage,
      services: perService,
    };
    steps.push(step);
    say(
      `step ${steps.length} (${phase}): ${rate}/s  ${step.passed ? 'held' : `BROKE ${step.broke.join(', ')}`}  answered ${step.achievedRps.toFixed(1)}/s  p95 ${step.p95.toFixed(0)}ms  p99 ${step.p99.toFixed(0)}ms  ` +
        `errors ${(step.errorRate * 100).toFixed(2)}%  dropped ${step.dropped}  load ${loadAverage[0]!.toFixed(2)}`,
    );
    say(
      '    ' +
        Object.entries(perService)
          .filter(([, v]) => v.rps > 0)
          .map(([s, v]) => `${s} ${v.rps.toFixed(1)}/s cpu ${(v.appCpuCores * 100).toFixed(0)}%+${(v.sidecarCpuCores * 100).toFixed(0)}% rss ${v.appRssMiB.toFixed(0)}+${v.sidecarRssMiB.toFixed(0)}MiB`)
          .join('  '),
    );
  }
  await client.close();

  const heldSteps = steps.filter((s) => s.passed);
  const held = heldSteps.reduce<Step | undefined>((best, s) => (!best || s.rate > best.rate ? s : best), undefined);
  const brokenRates = steps.filter((s) => !s.passed && (!held || s.rate > held.rate)).map((s) => s.rate);
  const brokeAt = brokenRates.length ? Math.min(...brokenRates) : undefined;
  const firstBreak = steps.find((s) => !s.passed && s.rate === brokeAt);
  const ceilingReached = brokeAt === undefined;
  const out = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageBefore: load0, loadAverageAfter: loadavg() },
    target,
    note: 'one replica of every service on one 2-core machine shared with other jobs: every process shares its cores; the capacity is the whole stack\'s, the per-service rate each one served at it',
    mix: base.mix,
    thresholds: base.thresholds,
    sweep,
    heldRate: held?.rate ?? 0,
    brokeAt: brokeAt ?? null,
    brokeOn: firstBreak?.broke ?? [],
    ceilingReached,
    services: Object.fromEntries(
      Object.entries(held?.services ?? {})
        .filter(([, v]) => v.rps > 0)
        .map(([s, v]) => [s, { ratePerReplica: v.rps, share: v.rps / held!.rate, appCpuCores: v.appCpuCores, sidecarCpuCores: v.sidecarCpuCores, appRssMiB: v.appRssMiB, sidecarRssMiB: v.sidecarRssMiB }]),
    ),
    steps,
  };
  say(
    ceilingReached
      ? `highest arrival rate held: ${out.heldRate}/s — NO threshold broke up to the ceiling (${sweep.ceilingRate}/s): a floor, not a capacity`
      : `highest arrival rate held: ${out.heldRate}/s; broke at ${brokeAt}/s on ${out.brokeOn.join(', ')}`,
  );
  say(`load average after: ${out.machine.loadAverageAfter.map((x) => x.toFixed(2)).join(' ')}`);
  say(`written to ${writeResult('capacity', out, 'capacity-latest.json')}`);
  if (args.includes('--save-baseline')) {
    writeFileSync(join(LOAD_ROOT, 'capacity.json'), `${JSON.stringify(out, null, 2)}\n`);
    say('baseline written to load/capacity.json');
  }
  return held ? 0 : 1;
}
