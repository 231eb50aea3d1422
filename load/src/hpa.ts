import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Stage } from './scenario.js';
import { rateAt } from './schedule.js';

/**
 * A model of the Kubernetes HorizontalPodAutoscaler (autoscaling/v2) as documented:
 * desired = ceil(current × currentMetric / targetMetric), skipped within the 0.1 tolerance, not-yet-
 * ready pods counted as 0 % on a scale-up, max over metrics, stabilisation windows (min over the
 * scale-up window, max over the scale-down window), scaling policies (Pods / Percent per period,
 * selectPolicy Max / Min / Disabled), min/max replicas, evaluated every 15 s.
 */

export interface Policy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: Policy[];
}
export interface HpaMetric {
  resource: 'cpu' | 'memory';
  averageUtilization: number;
}
export interface HpaSpec {
  name: string;
  minReplicas: number;
  maxReplicas: number;
  metrics: HpaMetric[];
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}
/** Requests of a pod: the app container plus the Dapr sidecar (from its annotations). */
export interface PodRequests {
  appCpuCores: number;
  appMemoryMiB: number;
  sidecarCpuCores: number;
  sidecarMemoryMiB: number;
}

// the documented defaults when behavior leaves a direction out
export const DEFAULT_SCALE_UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
export const DEFAULT_SCALE_DOWN: ScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};
export const TOLERANCE = 0.1;
export const SYNC_PERIOD_S = 15;

export function cpuCores(q: string | number): number {
  if (typeof q === 'number') return q;
  return q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q);
}

export function memoryMiB(q: string | number): number {
  if (typeof q === 'number') return q / 2 ** 20;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`cannot read memory quantity ${q}`);
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  const bytes = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[unit]!;
  return (n * bytes) / 2 ** 20;
}

interface RawRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: ScalingRules['selectPolicy'];
  policies?: Policy[];
}

function rules(raw: RawRules | undefined, defaults: ScalingRules): ScalingRules {
  if (!raw) return defaults;
  return {
    stabilizationWindowSeconds: raw.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: raw.selectPolicy ?? 'Max',
    policies: raw.policies ?? defaults.policies,
  };
}

/** Reads one HorizontalPodAutoscaler document (autoscaling/v2). */
export function hpaFromManifest(doc: Record<string, unknown>): HpaSpec {
  const spec = doc.spec as {
    minReplicas?: number;
    maxReplicas: number;
    metrics?: { type: string; resource?: { name: string; target: { type: string; averageUtilization?: number } } }[];
    behavior?: { scaleUp?: RawRules; scaleDown?: RawRules };
  };
  const name = (doc.metadata as { name: string }).name;
  const metrics = (spec.metrics ?? []).map((m) => {
    if (m.type !== 'Resource' || !m.resource || m.resource.target.type !== 'Utilization' || m.resource.target.averageUtilization === undefined) {
      throw new Error(`hpa ${name}: only Resource metrics with a Utilization target are modelled (got ${m.type})`);
    }
    if (m.resource.name !== 'cpu' && m.resource.name !== 'memory') throw new Error(`hpa ${name}: unknown resource ${m.resource.name}`);
    return { resource: m.resource.name, averageUtilization: m.resource.target.averageUtilization } as HpaMetric;
  });
  return {
    name,
    minReplicas: spec.minReplicas ?? 1,
    maxReplicas: spec.maxReplicas,
    // with no metrics the documented default is 80 % CPU
    metrics: metrics.length ? metrics : [{ resource: 'cpu', averageUtilization: 80 }],
    scaleUp: rules(spec.behavior?.scaleUp, DEFAULT_SCALE_UP),
    scaleDown: rules(spec.behavior?.scaleDown, DEFAULT_SCALE_DOWN),
  };
}

/** The app container's requests and the sidecar's (dapr.io/sidecar-*-request annotations). */
export function requestsFromDeployment(doc: Record<string, unknown>): PodRequests {
  const template = (doc.spec as { template: { metadata?: { annotations?: Record<string, string> }; spec: { containers: { name: string; resources?: { requests?: { cpu?: string; memory?: string } } }[] } } }).template;
  const name = (doc.metadata as { name: string }).name;
  const container = template.spec.containers.find((c) => c.name === name) ?? template.spec.containers[0];
  const req = container?.resources?.requests;
  if (!req?.cpu || !req.memory) throw new Error(`deployment ${name}: the app container has no cpu/memory requests (utilisation is relative to them)`);
  const ann = template.metadata?.annotations ?? {};
  const daprOn = ann['dapr.io/enabled'] === 'true';
  return {
    appCpuCores: cpuCores(req.cpu),
    appMemoryMiB: memoryMiB(req.memory),
    sidecarCpuCores: daprOn && ann['dapr.io/sidecar-cpu-request'] ? cpuCores(ann['dapr.io/sidecar-cpu-request']) : 0,
    sidecarMemoryMiB: daprOn && ann['dapr.io/sidecar-memory-request'] ? memoryMiB(ann['dapr.io/sidecar-memory-request']) : 0,
  };
}

/** Every app under deploy/k8s/base/apps: its HPA and its pod's requests, read from the manifests. */
export function readDeploy(appsDir: string): Map<string, { hpa: HpaSpec; requests: PodRequests }> {
  const out = new Map<string, { hpa: HpaSpec; requests: PodRequests }>();
  for (const app of readdirSync(appsDir).sort()) {
    const hpaFile = join(appsDir, app, 'hpa.yaml');
    const depFile = join(appsDir, app, 'deployment.yaml');
    if (!existsSync(hpaFile) || !existsSync(depFile)) continue;
    const docs = (f: string) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
    const hpaDoc = docs(hpaFile).find((d) => d.kind === 'HorizontalPodAutoscaler');
    const depDoc = docs(depFile).find((d) => d.kind === 'Deployment');
    if (!hpaDoc || !depDoc) continue;
    out.set(app, { hpa: hpaFromManifest(hpaDoc), requests: requestsFromDeployment(depDoc) });
  }
  return out;
}

/** One replica's measured capacity (from load/capacity.json). */
export interface ReplicaCapacity {
  /** Requests/s this service served at the highest arrival rate one replica held. */
  ratePerReplica: number;
  /** This service's requests per gateway arrival (measured from /metrics). */
  share: number;
  appCpuCores: number;
  sidecarCpuCores: number;
  appRssMiB: number;
  sidecarRssMiB: number;
}

export interface ModelOptions {
  /** Seconds from the decision to scale up until the new pod takes traffic (scheduling, image, start, readiness). */
  startupS: number;
  /** Replicas at t = 0; minReplicas by default. */
  initialReplicas?: number;
  stepS?: number;
}

export interface Recommendation {
  t: number;
  replicas: number;
}

/** The usage ratio of one metric and the replicas it asks for, with the documented tolerance and not-ready rule. */
export function replicasForMetric(current: number, ready: number, utilisationOfReady: number, target: number): number {
  if (ready === 0) return current;
  const ratio = utilisationOfReady / target;
  if (Math.abs(ratio - 1) <= TOLERANCE) return current;
  const unready = current - ready;
  if (ratio > 1 && unready > 0) {
    // scaling up with pods not ready yet: they count as 0 % usage
    const newRatio = (utilisationOfReady * ready) / (target * current);
    if (Math.abs(newRatio - 1) <= TOLERANCE || newRatio < 1) return current;
    return Math.ceil(newRatio * current);
  }
  return Math.ceil(ratio * ready);
}

/** Stabilisation: the lowest recommendation in the scale-up window, the highest in the scale-down window. */
export function stabilise(current: number, desired: number, history: readonly Recommendation[], t: number, spec: HpaSpec): number {
  let up = desired;
  let down = desired;
  for (const r of history) {
    if (r.t > t - spec.scaleUp.stabilizationWindowSeconds) up = Math.min(up, r.replicas);
    if (r.t > t - spec.scaleDown.stabilizationWindowSeconds) down = Math.max(down, r.replicas);
  }
  let recommendation = current;
  if (recommendation < up) recommendation = up;
  if (recommendation > down) recommendation = down;
  return recommendation;
}

export interface ScaleEvent {
  t: number;
  /** Positive: pods added; negative: removed. */
  change: number;
}

/** The scaling policies' limit on how far replicas may move now, given past scale events. */
export function limitByPolicies(current: number, desired: number, events: readonly ScaleEvent[], t: number, spec: HpaSpec): number {
  if (desired > current) {
    const r = spec.scaleUp;
    if (r.selectPolicy === 'Disabled') return current;
    const limits = r.policies.map((p) => {
      const added = events.filter((e) => e.change > 0 && e.t > t - p.periodSeconds).reduce((s, e) => s + e.change, 0);
      const start = current - added;
      return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    });
    const limit = r.selectPolicy === 'Min' ? Math.min(...limits) : Math.max(...limits);
    return Math.min(desired, Math.max(limit, current), spec.maxReplicas);
  }
  if (desired < current) {
    const r = spec.scaleDown;
    if (r.selectPolicy === 'Disabled') return current;
    const limits = r.policies.map((p) => {
      const removed = events.filter((e) => e.change < 0 && e.t > t - p.periodSeconds).reduce((s, e) => s - e.change, 0);
      const start = current + removed;
      return p.type === 'Pods' ? start - p.value : Math.floor(start * (1 - p.value / 100));
    });
    // "Max" picks the policy that allows the biggest change, i.e. the lowest count
    const limit = r.selectPolicy === 'Min' ? Math.max(...limits) : Math.min(...limits);
    return Math.max(desired, Math.min(limit, current), spec.minReplicas);
  }
  return current;
}

export interface TimelinePoint {
  t: number;
  offeredRps: number;
  replicas: number;
  ready: number;
  cpuUtilisation: number;
  memoryUtilisation: number;
  capacityRps: number;
  held: boolean;
}

export interface ServiceVerdict {
  service: string;
  hpa: HpaSpec;
  peakOfferedRps: number;
  /** Replicas needed at the peak with the CPU target met; and just to serve it at measured capacity. */
  replicasForTargetAtPeak: number;
  replicasToServePeak: number;
  maxReplicasUsed: number;
  notHeldSeconds: number;
  firstNotHeldAt: number | undefined;
  /** Each episode of more load than ready capacity: when it began and how long until capacity caught up. */
  shortfalls: { from: number; seconds: number; worstDeficitRps: number }[];
  /** Scale-ups: from the first recommendation above the current count to the new pods ready. */
  scaleUps: { decidedAt: number; from: number; to: number; readyAt: number }[];
  held: boolean;
  reasons: string[];
  timeline: TimelinePoint[];
}

/**
 * Simulates one service's HPA over an arrival profile (gateway requests/s). Per-pod load = offered ÷
 * ready pods (perfect balancing); CPU grows linearly with load, from the capacity measurement;
 * memory is taken as flat at its measured value (Node's RSS barely follows load).
 */
export function simulate(service: string, hpa: HpaSpec, requests: PodRequests, cap: ReplicaCapacity, profile: { startRate: number; stages: readonly Stage[] }, options: ModelOptions): ServiceVerdict {
  const step = options.stepS ?? 1;
  const duration = profile.stages.reduce((s, x) => s + x.durationS, 0);
  const podCpuRequest = requests.appCpuCores + requests.sidecarCpuCores;
  const podMemRequest = requests.appMemoryMiB + requests.sidecarMemoryMiB;
  const cpuPerRequest = (cap.appCpuCores + cap.sidecarCpuCores) / cap.ratePerReplica;
  const memoryUtilisation = (100 * (cap.appRssMiB + cap.sidecarRssMiB)) / podMemRequest;
  const utilAt = (perPodRps: number) => (100 * perPodRps * cpuPerRequest) / podCpuRequest;

  let replicas = Math.min(hpa.maxReplicas, Math.max(hpa.minReplicas, options.initialReplicas ?? hpa.minReplicas));
  // pods becoming ready: time they are ready
  let pending: number[] = [];
  let ready = replicas;
  const history: Recommendation[] = [];
  const events: ScaleEvent[] = [];
  const timeline: TimelinePoint[] = [];
  const scaleUps: ServiceVerdict['scaleUps'] = [];
  const shortfalls: ServiceVerdict['shortfalls'] = [];
  let wantedSince: number | undefined;
  let notHeld = 0;
  let firstNotHeld: number | undefined;
  let maxUsed = replicas;
  let peakOffered = 0;

  for (let t = 0; t <= duration; t += step) {
    const stillPending = pending.filter((readyAt) => readyAt > t);
    ready += pending.length - stillPending.length;
    pending = stillPending;
    const offered = rateAt(profile.startRate, profile.stages, Math.min(t, duration - 1e-9)) * cap.share;
    peakOffered = Math.max(peakOffered, offered);
    const cpu = ready > 0 ? utilAt(offered / ready) : Infinity;

    if (t % SYNC_PERIOD_S === 0) {
      const desired = Math.max(
        ...hpa.metrics.map((m) => replicasForMetric(replicas, ready, m.resource === 'cpu' ? cpu : memoryUtilisation, m.averageUtilization)),
      );
      const clamped = Math.min(hpa.maxReplicas, Math.max(hpa.minReplicas, desired));
      history.push({ t, replicas: clamped });
      while (history.length > 0 && history[0]!.t <= t - Math.max(hpa.scaleUp.stabilizationWindowSeconds, hpa.scaleDown.stabilizationWindowSeconds)) history.shift();
      if (clamped > replicas && wantedSince === undefined) wantedSince = t;
      const stabilised = stabilise(replicas, clamped, history, t, hpa);
      const next = limitByPolicies(replicas, stabilised, events, t, hpa);
      if (next > replicas) {
        const readyAt = t + options.startupS;
        for (let i = replicas; i < next; i++) pending.push(readyAt);
        scaleUps.push({ decidedAt: wantedSince ?? t, from: replicas, to: next, readyAt });
        wantedSince = clamped > next ? t : undefined;
        events.push({ t, change: next - replicas });
        replicas = next;
      } else if (next < replicas) {
        // a pod removed stops taking traffic at once (endpoints drop it before it drains)
        const remove = replicas - next;
        const fromPending = Math.min(remove, pending.length);
        pending = pending.slice(0, pending.length - fromPending);
        ready -= remove - fromPending;
        events.push({ t, change: next - replicas });
        replicas = next;
        wantedSince = undefined;
      } else if (clamped <= replicas) {
        wantedSince = undefined;
      }
      maxUsed = Math.max(maxUsed, replicas);
    }

    const capacity = ready * cap.ratePerReplica;
    const held = offered <= capacity + 1e-9;
    if (!held) {
      notHeld += step;
      firstNotHeld ??= t;
      const last = shortfalls[shortfalls.length - 1];
      if (last && last.from + last.seconds >= t - step) {
        last.seconds += step;
        last.worstDeficitRps = Math.max(last.worstDeficitRps, offered - capacity);
      } else shortfalls.push({ from: t, seconds: step, worstDeficitRps: offered - capacity });
    }
    timeline.push({ t, offeredRps: offered, replicas, ready, cpuUtilisation: cpu, memoryUtilisation, capacityRps: capacity, held });
  }

  const cpuTarget = hpa.metrics.find((m) => m.resource === 'cpu')?.averageUtilization;
  const replicasForTargetAtPeak = cpuTarget ? Math.ceil(utilAt(peakOffered) / cpuTarget) : 0;
  const replicasToServePeak = Math.ceil(peakOffered / cap.ratePerReplica);
  const reasons: string[] = [];
  if (replicasToServePeak > hpa.maxReplicas) reasons.push(`maxReplicas ${hpa.maxReplicas} is below the ${replicasToServePeak} replicas the peak (${peakOffered.toFixed(0)} req/s) needs at ${cap.ratePerReplica.toFixed(1)} req/s per replica`);
  else if (cpuTarget && replicasForTargetAtPeak > hpa.maxReplicas) reasons.push(`at the peak the CPU target (${cpuTarget} %) needs ${replicasForTargetAtPeak} replicas, over maxReplicas ${hpa.maxReplicas}: pods would run hot`);
  const utilAtCapacity = utilAt(cap.ratePerReplica);
  if (cpuTarget && utilAtCapacity < cpuTarget * (1 + TOLERANCE)) {
    reasons.push(`a replica uses ${utilAtCapacity.toFixed(0)} % CPU at the rate it can hold (${cap.ratePerReplica.toFixed(1)} req/s), not above the ${cpuTarget} % target: the HPA only adds pods once they are past their capacity`);
  }
  if (memoryUtilisation > (hpa.metrics.find((m) => m.resource === 'memory')?.averageUtilization ?? Infinity)) {
    reasons.push(`memory at ${memoryUtilisation.toFixed(0)} % of the request is over its target: the HPA sits at maxReplicas whatever the load`);
  }
  if (notHeld > 0 && replicasToServePeak <= hpa.maxReplicas) {
    const worst = shortfalls.reduce((a, b) => (b.seconds > a.seconds ? b : a));
    reasons.push(`scale-up too slow: load over ready capacity for ${notHeld} s in ${shortfalls.length} episode(s), the longest ${worst.seconds} s from t=${worst.from} s`);
  }
  return {
    service,
    hpa,
    peakOfferedRps: peakOffered,
    replicasForTargetAtPeak,
    replicasToServePeak,
    maxReplicasUsed: maxUsed,
    notHeldSeconds: notHeld,
    firstNotHeldAt: firstNotHeld,
    shortfalls,
    scaleUps,
    held: notHeld === 0,
    reasons,
    timeline,
  };
}
