import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario, numberOption } from './args.js';
import { type ReplicaCapacity, type ServiceVerdict, SYNC_PERIOD_S, TOLERANCE, readDeploy, simulate } from './hpa.js';
import { LOAD_ROOT, REPO_ROOT } from './paths.js';
import { peakRate } from './scenario.js';
import { scaleStages } from './schedule.js';
import { writeResult } from './summary.js';

const say = (line = '') => process.stdout.write(`${line}\n`);

export function assumptions(startupS: number): string[] {
  return [
    `per-pod load = offered load ÷ ready pods (perfect load balancing, no hot pod)`,
    `CPU grows linearly with load: utilisation = (req/s per pod ÷ measured req/s per replica) × measured CPU (app + daprd) ÷ pod CPU request (app + sidecar annotations)`,
    `memory is flat at its measured RSS (app + daprd), whatever the load`,
    `a replica holds the load while offered ≤ ready pods × the req/s one replica held within thresholds on this machine (a floor: locally every service shares 2 cores)`,
    `a new pod takes traffic ${startupS} s after the scale-up decision (scheduling, image pull, start, readiness); no cluster-autoscaler delay (nodes are there)`,
    `metrics are current at each ${SYNC_PERIOD_S} s sync (no metrics-server lag); tolerance ${TOLERANCE}; pods not ready count as 0 % on a scale-up`,
    `the production profile is the scenario's stages scaled so that its peak is --target-rps; each service gets its measured share of the gateway's requests`,
  ];
}

export async function hpaCommand(args: string[]): Promise<number> {
  const name = args.find((a) => !a.startsWith('--') && !/^\d/.test(a)) ?? 'ramp';
  const scenario = await loadScenario(name);
  const startupS = numberOption(args, '--startup-s') ?? 30;
  const capacityFile = join(LOAD_ROOT, 'capacity.json');
  if (!existsSync(capacityFile)) throw new Error('no load/capacity.json: run `npm run load -- capacity --save-baseline` first');
  const capacity = JSON.parse(readFileSync(capacityFile, 'utf8')) as { measuredAt: string; machine: { cpus: number; loadAverageBefore: number[] }; heldRate: number; services: Record<string, ReplicaCapacity> };
  const targetRps = numberOption(args, '--target-rps') ?? scenario.productionPeakRps;
  if (!targetRps) throw new Error(`scenario ${name} names no productionPeakRps: give --target-rps`);
  const factor = targetRps / peakRate(scenario);
  const profile = { startRate: scenario.startRate * factor, stages: scaleStages(scenario.stages, factor) };
  const deploy = readDeploy(join(REPO_ROOT, 'deploy/k8s/base/apps'));

  say(`HPA check: ${name}, scaled to a production peak of ${targetRps} req/s at the gateway (×${factor.toFixed(1)} the local profile)`);
  say(`capacity baseline: load/capacity.json, measured ${capacity.measuredAt} on ${capacity.machine.cpus} cores (load average ${capacity.machine.loadAverageBefore.map((x) => x.toFixed(2)).join(' ')}); one replica held ${capacity.heldRate} req/s`);
  say();
  say('This is a model, not a cluster: assumptions:');
  for (const a of assumptions(startupS)) say(`  - ${a}`);
  say();

  const verdicts: ServiceVerdict[] = [];
  const skipped: string[] = [];
  for (const [service, { hpa, requests }] of deploy) {
    const cap = capacity.services[service];
    if (!cap || cap.ratePerReplica <= 0) {
      skipped.push(`${service}: no capacity measured (it served no requests in the capacity mix), not modelled`);
      continue;
    }
    verdicts.push(simulate(service, hpa, requests, cap, profile, { startupS }));
  }
  for (const v of verdicts) {
    say(`${v.held && v.reasons.length === 0 ? '✓' : '✗'} ${v.service}: HPA ${v.hpa.minReplicas}-${v.hpa.maxReplicas} replicas, targets ${v.hpa.metrics.map((m) => `${m.resource} ${m.averageUtilization}%`).join(', ')}`);
    say(`    peak offered ${v.peakOfferedRps.toFixed(0)} req/s; needs ${v.replicasToServePeak} replicas to serve it, ${v.replicasForTargetAtPeak} to stay at the CPU target; the HPA reached ${v.maxReplicasUsed}`);
    for (const s of v.scaleUps) say(`    scale-up ${s.from}→${s.to}: wanted at t=${s.decidedAt}s, ready at t=${s.readyAt}s (${s.readyAt - s.decidedAt} s)`);
    const marks = v.timeline.filter((p) => p.t % 30 === 0);
    say(`    t(s)      ${marks.map((p) => String(p.t).padStart(5)).join('')}`);
    say(`    offered   ${marks.map((p) => p.offeredRps.toFixed(0).padStart(5)).join('')}`);
    say(`    ready     ${marks.map((p) => String(p.ready).padStart(5)).join('')}`);
    say(`    cpu %     ${marks.map((p) => (Number.isFinite(p.cpuUtilisation) ? p.cpuUtilisation.toFixed(0) : '∞').padStart(5)).join('')}`);
    say(`    held      ${marks.map((p) => (p.held ? 'yes' : 'NO').padStart(5)).join('')}`);
    for (const r of v.reasons) say(`    ✗ ${r}`);
  }
  for (const s of skipped) say(`  – ${s}`);
  const failed = verdicts.filter((v) => !v.held || v.reasons.length > 0);
  say();
  say(failed.length === 0 ? `verdict: HOLDS — the HPA settings in deploy/ hold ${name} at ${targetRps} req/s (in this model)` : `verdict: FAILS — ${failed.map((v) => v.service).join(', ')} cannot hold ${name} at ${targetRps} req/s with these settings (in this model)`);
  const file = writeResult(`hpa-${name}`, { scenario: name, targetRps, startupS, assumptions: assumptions(startupS), capacity, verdicts, skipped, holds: failed.length === 0 });
  say(`  written to ${file}`);
  return failed.length === 0 ? 0 : 1;
}
