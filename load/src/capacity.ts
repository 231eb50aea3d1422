import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { DefaultPorts } from '@strata/contracts';
import capacityScenario, { sweep } from '../scenarios/capacity.js';
import { defaultTarget, option } from './args.js';
import { Target, newRunId, registerAndSignIn, send } from './http.js';
import { LOAD_ROOT } from './paths.js';
import { findProcesses, requestsServed, sampler } from './procstat.js';
import { runScenario } from './runner.js';
import { usersNeeded } from './runner.js';
import { writeResult } from './summary.js';

interface ServiceAtStep {
  rps: number;
  appCpuCores: number;
  sidecarCpuCores: number;
  appRssMiB: number;
  sidecarRssMiB: number;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** A closed-model ceiling with autocannon: fixed connections, as fast as answers come back. */
async function saturation(url: string, token: string, seconds: number): Promise<{ rps: number; p99: number; errors: number }> {
  const result = await autocannon({ url, connections: 16, duration: seconds, headers: { authorization: `Bearer ${token}` } });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

/**
 * Steps the arrival rate up (one replica of each service) until a threshold breaks, sampling each
 * app's and sidecar's CPU and RSS from /proc and the requests each served from its /metrics.
 */
export async function capacityCommand(args: string[]): Promise<number> {
  const target = option(args, '--target') ?? defaultTarget();
  const offset = Number(new URL(target).port) - DefaultPorts.gateway.app;
  const services = Object.fromEntries(Object.entries(DefaultPorts).map(([s, p]) => [s, [p.app + offset]]));
  const procs = findProcesses(services);
  if (!procs.some((p) => p.service === 'gateway')) throw new Error(`no gateway process found for ${target} (is the stack up?)`);
  say(`processes: ${procs.map((p) => `${p.service}:${p.role}=${p.pid}`).join(' ')}`);
  const load0 = loadavg();

  const base = capacityScenario({});
  const client = new Target(target, 8);
  const runId = newRunId();
  const peak = sweep.startRate * sweep.factor ** (sweep.maxSteps - 1);
  const count = usersNeeded({ ...base, stages: [{ durationS: 1, targetRate: peak }] }, 100);
  say(`set-up: ${count} users`);
  const users = [];
  for (let i = 0; i < count; i++) users.push(await registerAndSignIn(client, `load-${runId}-${i}@example.test`));
  for (const u of users) await send(client, 'upload-small', u).catch(() => undefined);

  const steps: { rate: number; passed: boolean; p95: number; errorRate: number; dropped: number; services: Record<string, ServiceAtStep> }[] = [];
  const deadline = Date.now() + (sweep.maxSteps * (sweep.stepS + 10) + 60) * 1000;
  for (let k = 0; k < sweep.maxSteps && Date.now() < deadline; k++) {
    const rate = Math.round(sweep.startRate * sweep.factor ** k * 10) / 10;
    const before = Object.fromEntries(await Promise.all(Object.entries(services).map(async ([s, [port]]) => [s, await requestsServed(port!).catch(() => 0)] as const)));
    const cpu = sampler(procs);
    cpu.start();
    const result = await runScenario({ ...base, startRate: rate, stages: [{ durationS: sweep.stepS, targetRate: rate }] }, { target, prepared: users });
    const usage = cpu.stop();
    const after = Object.fromEntries(await Promise.all(Object.entries(services).map(async ([s, [port]]) => [s, await requestsServed(port!).catch(() => 0)] as const)));
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
    steps.push({ rate, passed: result.passed, p95: result.totals.latencyMs.p95, errorRate: result.totals.errorRate, dropped: result.totals.dropped, services: perService });
    say(
      `step ${k + 1}: ${rate}/s  ${result.passed ? 'held' : 'BROKE'}  p95 ${result.totals.latencyMs.p95.toFixed(0)}ms  errors ${(result.totals.errorRate * 100).toFixed(2)}%  ` +
        Object.entries(perService).filter(([, v]) => v.rps > 0).map(([s, v]) => `${s} ${v.rps.toFixed(1)}/s cpu ${(v.appCpuCores * 100).toFixed(0)}%+${(v.sidecarCpuCores * 100).toFixed(0)}%`).join('  '),
    );
    if (!result.passed) break;
  }
  const held = [...steps].reverse().find((s) => s.passed);
  const gatewayUser = users[0]!;
  say('closed-model ceiling (autocannon, 16 connections, 5 s each):');
  const ceilings = {
    me: await saturation(`${target}/api/v1/me`, gatewayUser.token, 5),
    jwks: await saturation(`${target}/.well-known/jwks.json`, gatewayUser.token, 5),
  };
  for (const [k, v] of Object.entries(ceilings)) say(`  ${k}: ${v.rps.toFixed(0)} req/s, p99 ${v.p99} ms, ${v.errors} errors/non-2xx`);
  await client.close();

  const out = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageBefore: load0, loadAverageAfter: loadavg() },
    target,
    note: 'one replica of every service on one machine: all processes share its cores, so these are floors for a pod with its own CPU',
    mix: base.mix,
    thresholds: base.thresholds,
    sweep,
    heldRate: held?.rate ?? 0,
    services: Object.fromEntries(
      Object.entries(held?.services ?? {})
        .filter(([, v]) => v.rps > 0)
        .map(([s, v]) => [s, { ratePerReplica: v.rps, share: v.rps / held!.rate, appCpuCores: v.appCpuCores, sidecarCpuCores: v.sidecarCpuCores, appRssMiB: v.appRssMiB, sidecarRssMiB: v.sidecarRssMiB }]),
    ),
    closedModelCeilings: ceilings,
    steps,
  };
  say(`highest arrival rate held: ${out.heldRate}/s`);
  say(`written to ${writeResult('capacity', out, 'capacity-latest.json')}`);
  if (args.includes('--save-baseline')) {
    writeFileSync(join(LOAD_ROOT, 'capacity.json'), `${JSON.stringify(out, null, 2)}\n`);
    say('baseline written to load/capacity.json');
  }
  return held ? 0 : 1;
}
