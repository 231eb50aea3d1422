import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type HpaSpec, type ReplicaCapacity, DEFAULT_SCALE_UP, cpuCores, hpaFromManifest, limitByPolicies, memoryMiB, readDeploy, replicasForMetric, simulate, stabilise } from '../src/hpa.js';
import { REPO_ROOT } from '../src/paths.js';

const spec = (over: Partial<HpaSpec> = {}): HpaSpec => ({
  name: 'x',
  minReplicas: 2,
  maxReplicas: 10,
  metrics: [{ resource: 'cpu', averageUtilization: 70 }],
  scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
  scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] },
  ...over,
});

describe('the HPA formula', () => {
  it('is ceil(current × current / target) outside the 0.1 tolerance', () => {
    expect(replicasForMetric(4, 4, 140, 70)).toBe(8);
    expect(replicasForMetric(4, 4, 100, 70)).toBe(6); // ceil(4 × 1.43) = 6
    expect(replicasForMetric(4, 4, 35, 70)).toBe(2);
  });

  it('does nothing within the tolerance', () => {
    expect(replicasForMetric(4, 4, 76, 70)).toBe(4); // ratio 1.086
    expect(replicasForMetric(4, 4, 64, 70)).toBe(4); // ratio 0.914
    expect(replicasForMetric(4, 4, 78, 70)).toBe(5); // ratio 1.114
  });

  it('counts pods that are not ready as 0 % when scaling up', () => {
    // 2 ready at 140 %, 2 starting: (140 × 2) / (70 × 4) = 1.0, within tolerance: no change
    expect(replicasForMetric(4, 2, 140, 70)).toBe(4);
    // 2 ready at 210 %: 1.5 → ceil(1.5 × 4) = 6
    expect(replicasForMetric(4, 2, 210, 70)).toBe(6);
  });
});

describe('stabilisation and policies', () => {
  it('scales down to the highest recommendation of the window only', () => {
    const history = [{ t: 0, replicas: 8 }, { t: 15, replicas: 3 }];
    expect(stabilise(8, 3, history, 30, spec())).toBe(8);
    expect(stabilise(8, 3, history, 301, spec())).toBe(3);
  });

  it('scales up to the lowest recommendation of the scale-up window', () => {
    const s = spec({ scaleUp: { ...spec().scaleUp, stabilizationWindowSeconds: 60 } });
    expect(stabilise(3, 9, [{ t: 0, replicas: 4 }, { t: 15, replicas: 9 }], 30, s)).toBe(4);
  });

  it('limits a scale-up by Percent per period, counting earlier additions', () => {
    expect(limitByPolicies(4, 20, [], 0, spec())).toBe(6); // ceil(4 × 1.5)
    expect(limitByPolicies(6, 20, [{ t: 0, change: 2 }], 30, spec())).toBe(6); // the period started at 4
    expect(limitByPolicies(6, 20, [{ t: 0, change: 2 }], 61, spec())).toBe(9);
  });

  it('takes the larger policy with Max and the smaller with Min, none with Disabled', () => {
    const both = { stabilizationWindowSeconds: 0, policies: DEFAULT_SCALE_UP.policies };
    expect(limitByPolicies(2, 20, [], 0, spec({ maxReplicas: 30, scaleUp: { ...both, selectPolicy: 'Max' } }))).toBe(6); // Pods +4
    expect(limitByPolicies(2, 20, [], 0, spec({ maxReplicas: 30, scaleUp: { ...both, selectPolicy: 'Min' } }))).toBe(4); // 100 %
    expect(limitByPolicies(2, 20, [], 0, spec({ scaleUp: { ...both, selectPolicy: 'Disabled' } }))).toBe(2);
  });

  it('removes one pod per two minutes on the way down', () => {
    expect(limitByPolicies(8, 3, [], 0, spec())).toBe(7);
    expect(limitByPolicies(7, 3, [{ t: 0, change: -1 }], 60, spec())).toBe(7);
    expect(limitByPolicies(7, 3, [{ t: 0, change: -1 }], 121, spec())).toBe(6);
  });
});

describe('simulate', () => {
  const requests = { appCpuCores: 0.5, appMemoryMiB: 512, sidecarCpuCores: 0.1, sidecarMemoryMiB: 128 };
  // one replica held 50 req/s using 0.6 cores in all: 100 % of its 0.6-core request
  const cap: ReplicaCapacity = { ratePerReplica: 50, share: 1, appCpuCores: 0.5, sidecarCpuCores: 0.1, appRssMiB: 150, sidecarRssMiB: 50 };

  it('holds a slow ramp that fits under maxReplicas', () => {
    const v = simulate('s', spec(), requests, cap, { startRate: 50, stages: [{ durationS: 600, targetRate: 300 }, { durationS: 300, targetRate: 300 }] }, { startupS: 30 });
    expect(v.held).toBe(true);
    expect(v.reasons).toEqual([]);
    expect(v.maxReplicasUsed).toBeGreaterThanOrEqual(6);
    expect(v.scaleUps.length).toBeGreaterThan(0);
  });

  it('fails when a replica reaches its capacity below the CPU target', () => {
    const cool = { ...cap, appCpuCores: 0.25, sidecarCpuCores: 0.05 }; // 50 % at capacity
    const v = simulate('s', spec(), requests, cool, { startRate: 50, stages: [{ durationS: 600, targetRate: 300 }] }, { startupS: 30 });
    expect(v.held).toBe(false);
    expect(v.reasons.join(' ')).toMatch(/50 % CPU at the rate it can hold/);
  });

  it('fails when the peak needs more than maxReplicas, and says so', () => {
    const v = simulate('s', spec(), requests, cap, { startRate: 50, stages: [{ durationS: 600, targetRate: 800 }, { durationS: 300, targetRate: 800 }] }, { startupS: 30 });
    expect(v.held).toBe(false);
    expect(v.reasons.join(' ')).toMatch(/maxReplicas 10 is below the 16 replicas/);
  });

  it('fails a spike faster than the policies allow, reporting the shortfall', () => {
    const v = simulate('s', spec(), requests, cap, { startRate: 50, stages: [{ durationS: 10, targetRate: 400 }, { durationS: 300, targetRate: 400 }] }, { startupS: 30 });
    expect(v.held).toBe(false);
    expect(v.shortfalls[0]!.from).toBeLessThan(15);
    expect(v.reasons.join(' ')).toMatch(/scale-up too slow/);
    expect(v.maxReplicasUsed).toBeGreaterThanOrEqual(6);
  });
});

describe('reading deploy/', () => {
  it('reads every HPA and the pod requests from the manifests', () => {
    const deploy = readDeploy(join(REPO_ROOT, 'deploy/k8s/base/apps'));
    expect([...deploy.keys()]).toEqual(expect.arrayContaining(['files', 'gateway', 'sessions']));
    const files = deploy.get('files')!;
    expect(files.hpa.maxReplicas).toBeGreaterThanOrEqual(files.hpa.minReplicas);
    expect(files.requests.appCpuCores).toBeGreaterThan(0);
    expect(files.requests.sidecarCpuCores).toBeGreaterThan(0);
  });

  it('fills in the documented defaults when behavior is absent', () => {
    const hpa = hpaFromManifest({ metadata: { name: 'a' }, spec: { maxReplicas: 5 } });
    expect(hpa.minReplicas).toBe(1);
    expect(hpa.metrics).toEqual([{ resource: 'cpu', averageUtilization: 80 }]);
    expect(hpa.scaleDown.stabilizationWindowSeconds).toBe(300);
    expect(hpa.scaleUp.policies).toHaveLength(2);
  });

  it('reads Kubernetes quantities', () => {
    expect(cpuCores('500m')).toBe(0.5);
    expect(cpuCores('2')).toBe(2);
    expect(memoryMiB('512Mi')).toBe(512);
    expect(memoryMiB('2Gi')).toBe(2048);
  });
});
