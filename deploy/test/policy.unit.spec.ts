/**
 * The operating rules the seed architecture sets (resources, HPA, PDB, probes, pod security,
 * network policy, workload identity, TLS at the edge), checked on the rendered aks overlay.
 */
import { ALL_APP_IDS, AppManifests, DefaultPorts, type AppId } from '@strata/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseManifests, type Manifest } from '../src/kustomize.js';
import { LISTENER_RULES, checkListeners, type ListenerSpec } from '../src/listeners.js';
import { DEPLOY_DIR } from '../src/versions.js';
import { RENDER_TIMEOUT, named, ofKind, renderAks } from './render.js';

type Obj = Record<string, unknown>;
interface Container {
  name: string;
  image: string;
  resources: { requests: Obj; limits: Obj };
  securityContext: Obj;
  startupProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  ports: { name: string; containerPort: number }[];
  env: { name: string; value: string }[];
  volumeMounts: { name: string; mountPath: string }[];
}
interface Deployment extends Manifest {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: {
        serviceAccountName: string;
        terminationGracePeriodSeconds: number;
        securityContext: Obj;
        containers: Container[];
        volumes: { name: string; emptyDir?: Obj }[];
      };
    };
  };
}
interface Hpa extends Manifest {
  spec: { minReplicas: number; maxReplicas: number; metrics: Obj[]; behavior: Obj; scaleTargetRef: Obj };
}
interface NetworkPolicy extends Manifest {
  spec: { podSelector: Obj; policyTypes: string[]; ingress?: Obj[]; egress?: Obj[] };
}

const BACKEND: readonly AppId[] = ['gateway', 'files', 'sessions', 'ratelimit'];
const FRONTEND: readonly AppId[] = ['ui'];
/** Reads documents: CPU-bound (extraction, OCR), sized and scaled on its own. */
const INDEXER: readonly AppId[] = ['insights'];
/** Sends webhooks: it waits on receivers, not on the CPU; sized as a frontend, scaled on its own. */
const DISPATCHER: readonly AppId[] = ['webhooks'];
/** The Application Gateway's subnet as the Bicep creates it (infra.unit.spec.ts ties azure.env to it). */
const APP_GATEWAY_SUBNET = /^var appGatewaySubnetPrefix = '([^']+)'/m.exec(readFileSync(join(DEPLOY_DIR, 'infra/main.bicep'), 'utf8'))![1]!;
const LISTENERS: ListenerSpec = {
  apps: DefaultPorts,
  publicApp: 'gateway',
  edgeCidr: APP_GATEWAY_SUBNET,
  monitoringNamespace: 'kube-system',
};

let aks: Manifest[];
beforeAll(() => {
  aks = renderAks();
}, RENDER_TIMEOUT);
const deployment = (app: string) => named<Deployment>(aks, 'Deployment', app);
const container = (app: string) => deployment(app).spec.template.spec.containers[0]!;

describe('one Deployment, HPA, PDB, NetworkPolicy and ServiceAccount per app; a Service for the gateway only', () => {
  it.each(['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ServiceAccount'])('%s', (kind) => {
    expect(ofKind(aks, kind).map((m) => m.metadata?.name).sort()).toEqual([...ALL_APP_IDS].sort());
  });
  it('Service: the Ingress\'s backend; the other apps are reached by service invocation only', () => {
    expect(ofKind(aks, 'Service').map((m) => m.metadata?.name)).toEqual(['gateway']);
  });
  it('NetworkPolicy', () => {
    const names = ofKind(aks, 'NetworkPolicy').map((m) => m.metadata?.name);
    expect(names).toEqual(expect.arrayContaining([...ALL_APP_IDS, 'default-deny', 'allow-dns']));
  });
});

describe('resources (seed: backend 500m/512Mi to 2000m/2Gi, frontend 100m/128Mi to 500m/512Mi)', () => {
  it.each(BACKEND)('%s is sized as a backend', (app) => {
    expect(container(app).resources).toEqual({
      requests: { cpu: '500m', memory: '512Mi' },
      limits: { cpu: '2000m', memory: '2Gi' },
    });
  });
  it.each(FRONTEND)('%s is sized as a frontend', (app) => {
    expect(container(app).resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    });
  });
  it.each(INDEXER)('%s requests a whole core (OCR) and stays within 1 GiB', (app) => {
    expect(container(app).resources).toEqual({
      requests: { cpu: '1000m', memory: '512Mi' },
      limits: { cpu: '2000m', memory: '1Gi' },
    });
  });
  it.each(DISPATCHER)('%s is sized as a frontend (deliveries wait on receivers)', (app) => {
    expect(container(app).resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    });
  });
  it('every app is sized by one of the rules above', () => {
    expect([...BACKEND, ...FRONTEND, ...INDEXER, ...DISPATCHER].sort()).toEqual([...ALL_APP_IDS].sort());
  });
  it.each(ALL_APP_IDS)('%s: the Dapr sidecar has requests and limits', (app) => {
    const a = deployment(app).spec.template.metadata.annotations;
    for (const key of ['cpu-request', 'memory-request', 'cpu-limit', 'memory-limit']) {
      expect(a[`dapr.io/sidecar-${key}`], key).toMatch(/^\d+(m|Mi|Gi)$/);
    }
  });
});

describe('autoscaling (seed)', () => {
  const behavior = {
    scaleUp: { stabilizationWindowSeconds: 60, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
    scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] },
  };
  const target = (name: string, utilization: number) => ({
    type: 'Resource',
    resource: { name, target: { type: 'Utilization', averageUtilization: utilization } },
  });
  it.each(BACKEND)('%s: 3 to 15 replicas at 70 per cent CPU and 80 per cent memory', (app) => {
    const hpa = named<Hpa>(aks, 'HorizontalPodAutoscaler', app);
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
      minReplicas: 3,
      maxReplicas: 15,
      metrics: [target('cpu', 70), target('memory', 80)],
      behavior,
    });
  });
  it.each(FRONTEND)('%s: 2 to 10 replicas at 70 per cent CPU', (app) => {
    const hpa = named<Hpa>(aks, 'HorizontalPodAutoscaler', app);
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 10, metrics: [target('cpu', 70)] });
  });
  it.each(INDEXER)('%s: 2 to 6 replicas at 70 per cent CPU (its memory follows the document, not the load)', (app) => {
    const hpa = named<Hpa>(aks, 'HorizontalPodAutoscaler', app);
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [target('cpu', 70)],
      behavior,
    });
  });
  it.each(DISPATCHER)('%s: 2 to 4 replicas at 70 per cent CPU (a delivery is leased, so replicas share them)', (app) => {
    const hpa = named<Hpa>(aks, 'HorizontalPodAutoscaler', app);
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
      minReplicas: 2,
      maxReplicas: 4,
      metrics: [target('cpu', 70)],
      behavior,
    });
  });
  it.each(ALL_APP_IDS)('%s: the Deployment leaves the replica count to the HPA', (app) => {
    expect(deployment(app).spec.replicas).toBeUndefined();
  });
  it('a PDB never blocks every eviction: backends keep 2 of at least 3, the UI, insights and webhooks lose at most 1', () => {
    for (const app of BACKEND) {
      const pdb = named<Manifest & { spec: Obj }>(aks, 'PodDisruptionBudget', app);
      expect(pdb.spec).toMatchObject({ minAvailable: 2, selector: { matchLabels: { 'app.kubernetes.io/name': app } } });
      expect(named<Hpa>(aks, 'HorizontalPodAutoscaler', app).spec.minReplicas).toBeGreaterThan(2);
    }
    for (const app of [...FRONTEND, ...INDEXER, ...DISPATCHER]) {
      expect(named<Manifest & { spec: Obj }>(aks, 'PodDisruptionBudget', app).spec).toMatchObject({ maxUnavailable: 1 });
      expect(named<Manifest & { spec: Obj }>(aks, 'PodDisruptionBudget', app).spec).not.toHaveProperty('minAvailable');
    }
  });
});

describe('listeners (deploy/README.md, "Listeners")', () => {
  it('the rendered overlay follows every listener rule: ports, hosts, app channel, probes, tokens, network, edge', () => {
    expect(checkListeners(aks, LISTENERS)).toEqual([]);
  });

  it.each(ALL_APP_IDS)('%s: startup and liveness /health/live, readiness /health/ready, on the internal listener', (app) => {
    const c = container(app);
    expect(c.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'internal' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'internal' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'internal' });
    // the gateway's public listener is a container port; every other main listener is loopback only
    const ports = app === 'gateway'
      ? [{ name: 'http', containerPort: DefaultPorts[app].app }, { name: 'internal', containerPort: DefaultPorts[app].internal }]
      : [{ name: 'internal', containerPort: DefaultPorts[app].internal }];
    expect(c.ports.map(({ name, containerPort }) => ({ name, containerPort }))).toEqual(ports);
    expect(c.env).toEqual(expect.arrayContaining([
      { name: 'HOST', value: app === 'gateway' ? '0.0.0.0' : '127.0.0.1' },
      { name: 'INTERNAL_HOST', value: '0.0.0.0' },
    ]));
  });

  it('the startup probe gives a replica three minutes (migrations wait for another replica\'s lock)', () => {
    for (const app of ALL_APP_IDS) {
      const probe = container(app).startupProbe as unknown as { periodSeconds: number; failureThreshold: number };
      expect(probe.periodSeconds * probe.failureThreshold).toBe(180);
    }
  });

  it('the sidecars\' metrics port is one port for every pod, and no app listens on it', () => {
    const ports = new Set(ALL_APP_IDS.map((app) => deployment(app).spec.template.metadata.annotations['dapr.io/metrics-port']));
    expect([...ports]).toEqual(['9095']);
    const appPorts = Object.values(DefaultPorts).flatMap((p) => [p.app, p.internal]);
    expect(appPorts).not.toContain(9095);
  });
});

describe('the listener rules reject what must not be deployed', () => {
  // a gateway and a files app with every listener mistake (test/fixtures/broken-listeners.yaml)
  const broken = parseManifests(readFileSync(join(import.meta.dirname, 'fixtures/broken-listeners.yaml'), 'utf8'));
  const spec: ListenerSpec = { ...LISTENERS, apps: { gateway: DefaultPorts.gateway, files: DefaultPorts.files } };
  const problems = checkListeners(broken, spec);
  const about = (subject: string, rule: string) => problems.filter((p) => p.subject === subject && p.rule === rule).map((p) => p.message);

  it('every rule catches its mistake', () => {
    expect([...new Set(problems.map((p) => p.rule))].sort()).toEqual([...LISTENER_RULES].sort());
  });

  it('an app without its app token, or with it written into the manifest, is refused', () => {
    expect(about('Deployment/files', 'app-token')).toEqual([
      'no dapr.io/app-token-secret: nobody may call /dapr/*, subscriptions stop',
      'APP_API_TOKEN is written in the manifest',
    ]);
    expect(about('Deployment/files', 'api-token')).toEqual(['DAPR_API_TOKEN must come from the sidecar\'s API token Secret (dapr-api-token, key "token")']);
  });

  it('apps that share an app token, or use the sidecar\'s API token as one, are refused', () => {
    const shared = structuredClone(broken) as typeof broken;
    for (const d of shared.filter((m) => m.kind === 'Deployment') as { spec: { template: { metadata: { annotations: Record<string, string> } } } }[]) {
      d.spec.template.metadata.annotations['dapr.io/app-token-secret'] = 'dapr-api-token';
    }
    const messages = checkListeners(shared, spec).filter((p) => p.rule === 'app-token').map((p) => `${p.subject}: ${p.message}`);
    expect(messages).toEqual(expect.arrayContaining([
      'Deployment/gateway: the app token Secret dapr-api-token is shared with files',
      "Deployment/gateway: the app token Secret dapr-api-token is also the sidecar's API token",
      'Deployment/files: the app token Secret dapr-api-token is shared with gateway',
    ]));
  });

  it('probes on the main listener are refused', () => {
    expect(about('Deployment/gateway', 'probes')).toEqual([
      'startupProbe asks http/health/live, must ask /health/live on the internal listener (9580)',
      'livenessProbe asks http/health/live, must ask /health/live on the internal listener (9580)',
      'readinessProbe asks http/health/ready, must ask /health/ready on the internal listener (9580)',
    ]);
  });

  it('a gateway sidecar on the public listener, and an app channel open to the network, are refused', () => {
    expect(about('Deployment/gateway', 'app-channel')).toEqual([
      'APP_CHANNEL is main, must be internal',
      'dapr.io/app-port is 8080, must be 9580 (the internal listener)',
    ]);
    expect(about('Deployment/files', 'hosts')).toEqual(['HOST is 0.0.0.0, must be 127.0.0.1']);
    expect(about('Deployment/files', 'network')).toContain(
      'port 8081 (main listener) is reachable from pod:app.kubernetes.io/name=gateway, must be from nobody',
    );
  });

  it('an app whose metrics, or whose sidecar\'s, nobody scrapes is refused', () => {
    expect(about('Deployment/files', 'monitoring')).toEqual(['no PodMonitor scrapes internal at /metrics', 'no PodMonitor scrapes dapr-metrics at /']);
  });

  it('a pod no NetworkPolicy selects is open to anyone on every port', () => {
    expect(about('Deployment/gateway', 'network')).toEqual([
      'port 8080 (main listener) is reachable from anyone, must be from ip:10.0.3.0/24',
      'port 9580 (internal listener) is reachable from anyone, must be from ip:10.0.3.0/24, namespace:kube-system',
      "port 9580 (sidecar's metrics) is reachable from anyone, must be from namespace:kube-system",
    ]);
  });
});

describe("insights' indexer fits its pod", () => {
  const MiB = 1024 * 1024;
  /** Outside any V8 heap, per process: code, the sidecar client's buffers, libvips' cache (sharp). */
  const PROCESS_NATIVE_MIB = 128;
  /** Outside V8, per document being read: a page rendered for OCR (A4 at 300 dpi is 35 MiB), tesseract's WebAssembly memory. */
  const DOCUMENT_NATIVE_MIB = 192;
  type Env = Record<string, string | undefined>;
  const envOf = (app: string): Env => Object.fromEntries(container(app).env.map((e) => [e.name, e.value]));
  const mib = (quantity: unknown) => {
    const m = /^(\d+)(Mi|Gi)$/.exec(String(quantity));
    if (!m) throw new Error(`not a MiB or GiB quantity: ${String(quantity)}`);
    return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
  };
  /** What the app may hold at once: its heap, then per document slot the worker's heap, the bytes and what rendering and OCR hold. */
  const memoryMiB = (env: Env) => {
    const heap = Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS ?? '')?.[1]);
    const slots = Number(env.INDEX_CONCURRENCY);
    const perDocument = Number(env.INDEX_WORKER_HEAP_MB) + Number(env.INDEX_MAX_BYTES) / MiB + DOCUMENT_NATIVE_MIB;
    for (const n of [heap, slots, perDocument]) expect(Number.isFinite(n) && n > 0, JSON.stringify(env)).toBe(true);
    return heap + PROCESS_NATIVE_MIB + slots * perDocument;
  };

  it('its heaps, the documents it reads at once and what they hold outside V8 stay under the memory limit', () => {
    const limit = mib(container('insights').resources.limits.memory);
    expect(memoryMiB(envOf('insights'))).toBeLessThanOrEqual(limit);
    // the check can fail: a second document at a time would not fit
    expect(memoryMiB({ ...envOf('insights'), INDEX_CONCURRENCY: '2' })).toBeGreaterThan(limit);
  });

  it('leaves a core of its CPU limit to requests and the sidecar, and gives OCR its time', () => {
    const env = envOf('insights');
    const cores = Number(/^(\d+)m$/.exec(String(container('insights').resources.limits.cpu))?.[1]) / 1000;
    expect(Number(env.INDEX_CONCURRENCY)).toBeLessThanOrEqual(cores - 1);
    // a few seconds a scanned page on one core: the OCR page cap fits the time one document may take
    expect(Number(env.INDEX_OCR_MAX_PAGES) * 4_000).toBeLessThanOrEqual(Number(env.INDEX_TIMEOUT_MS));
  });
});

describe('lifecycle', () => {
  it.each(ALL_APP_IDS)('%s: preStop sleep + app drain fit in the termination grace period', (app) => {
    const c = container(app);
    const sleep = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
    const drainMs = Number(c.env.find((e) => e.name === 'SHUTDOWN_GRACE_MS')?.value);
    expect(sleep).toBe(15);
    expect(deployment(app).spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    expect(sleep + drainMs / 1000).toBeLessThan(30);
  });
});

describe('pod security (restricted)', () => {
  it('the namespace enforces the restricted standard', () => {
    expect(named(aks, 'Namespace', 'strata').metadata?.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });
  it.each(ALL_APP_IDS)('%s: non-root 1000, read-only root, no capabilities, RuntimeDefault seccomp', (app) => {
    const pod = deployment(app).spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(app).securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // the only writable path is an emptyDir at /tmp
    expect(container(app).volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([expect.objectContaining({ name: 'tmp', emptyDir: expect.any(Object) })]);
    expect(deployment(app).spec.template.metadata.annotations['dapr.io/sidecar-seccomp-profile-type']).toBe('RuntimeDefault');
  });
  it.each(ALL_APP_IDS)('%s: the image is from the registry, pinned to a tag', (app) => {
    expect(container(app).image).toMatch(new RegExp(`^[a-z0-9]+\\.azurecr\\.io/strata/${app}:(?!latest$)[\\w.-]+$`));
  });
});

describe('workload identity', () => {
  it.each(ALL_APP_IDS)('%s: its own service account, with a client id, used by a labelled pod', (app) => {
    const sa = named(aks, 'ServiceAccount', app);
    expect(sa.metadata?.annotations?.['azure.workload.identity/client-id']).toMatch(/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/);
    const template = deployment(app).spec.template;
    expect(template.spec.serviceAccountName).toBe(app);
    expect(template.metadata.labels['azure.workload.identity/use']).toBe('true');
  });
});

describe('network policy', () => {
  const policies = () => ofKind<NetworkPolicy>(aks, 'NetworkPolicy');
  it('the namespace denies all ingress and egress by default, then allows DNS', () => {
    expect(named<NetworkPolicy>(aks, 'NetworkPolicy', 'default-deny').spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    const dns = named<NetworkPolicy>(aks, 'NetworkPolicy', 'allow-dns');
    expect(JSON.stringify(dns.spec.egress)).toContain('"port":53');
  });
  it('only the gateway takes traffic from outside the cluster', () => {
    const withIpBlocks = policies().filter((p) => JSON.stringify(p.spec.ingress ?? []).includes('ipBlock'));
    expect(withIpBlocks.map((p) => p.metadata?.name)).toEqual(['gateway']);
    expect(ofKind<Manifest & { spec: { rules: { http: { paths: { backend: { service: { name: string } } }[] } }[] } }>(aks, 'Ingress')
      .flatMap((i) => i.spec.rules.flatMap((r) => r.http.paths.map((p) => p.backend.service.name))))
      .toEqual(['gateway']);
  });
  it.each(ALL_APP_IDS.filter((a) => a !== 'gateway'))('%s takes invocations only on the sidecar port, from the gateway (and partners)', (app) => {
    const policy = named<NetworkPolicy>(aks, 'NetworkPolicy', app);
    const invocation = (policy.spec.ingress ?? []).find((rule) => JSON.stringify(rule).includes('50002')) as
      | { from: Obj[]; ports: Obj[] }
      | undefined;
    expect(invocation?.ports).toEqual([{ protocol: 'TCP', port: 50002 }]);
    expect(invocation?.from).toContainEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gateway' } } });
    // no rule opens a port to every pod of the namespace
    for (const rule of policy.spec.ingress ?? []) {
      expect(JSON.stringify(rule)).not.toMatch(/"podSelector":\{\}/);
    }
  });
});

describe('service invocation between the apps: the network lets exactly what the manifests invoke', () => {
  const SIDECAR_PORT = 50002;
  type Peer = { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: Obj; ipBlock?: Obj };
  type Rule = { from?: Peer[]; to?: Peer[]; ports?: { port?: number }[] };
  type Policy = Manifest & { spec: { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] } };
  const labelsOf = (app: string) => deployment(app).spec.template.metadata.labels;
  const selects = (selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>) =>
    Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const namesPort = (rule: Rule) => !rule.ports?.length || rule.ports.some((p) => p.port === undefined || p.port === SIDECAR_PORT);
  /** Whether the policies let a pod of `from` open the sidecar port of a pod of `to` (same namespace), both directions checked. */
  const reaches = (policies: Policy[], from: string, to: string) => {
    const side = (kind: 'Ingress' | 'Egress', self: string, other: string) => {
      const isolating = policies.filter((p) => selects(p.spec.podSelector, labelsOf(self)) && p.spec.policyTypes.includes(kind));
      if (isolating.length === 0) return true;
      const rules = isolating.flatMap((p) => (kind === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []);
      return rules.some((r) => namesPort(r) && (kind === 'Ingress' ? r.from : r.to)?.some((peer) => !peer.namespaceSelector && !peer.ipBlock && selects(peer.podSelector, labelsOf(other))));
    };
    return side('Egress', from, to) && side('Ingress', to, from);
  };
  const declared = () => ALL_APP_IDS.flatMap((caller) => Object.keys(AppManifests[caller].invokes).map((callee) => `${caller} -> ${callee}`)).sort();
  const open = (policies: Policy[]) => ALL_APP_IDS.flatMap((from) => ALL_APP_IDS.filter((to) => to !== from && reaches(policies, from, to)).map((to) => `${from} -> ${to}`)).sort();

  it('every call a manifest names has a path (caller egress and callee ingress), and no other pod-to-pod path exists', () => {
    expect(declared()).toEqual(expect.arrayContaining(['insights -> files', 'insights -> sessions', 'files -> sessions']));
    expect(open(ofKind<Policy>(aks, 'NetworkPolicy'))).toEqual(declared());
  });

  it('the check sees a missing egress rule, and a callee that admits a caller no manifest names', () => {
    const without = structuredClone(ofKind<Policy>(aks, 'NetworkPolicy'));
    named<Policy>(without, 'NetworkPolicy', 'insights').spec.egress = [];
    expect(open(without)).not.toContain('insights -> files');
    const wider = structuredClone(ofKind<Policy>(aks, 'NetworkPolicy'));
    named<Policy>(wider, 'NetworkPolicy', 'ratelimit').spec.ingress![0]!.from!.push({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'insights' } } });
    named<Policy>(wider, 'NetworkPolicy', 'insights').spec.egress![0]!.to!.push({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ratelimit' } } });
    expect(open(wider)).toContain('insights -> ratelimit');
    expect(open(wider)).not.toEqual(declared());
  });
});

describe('ingress', () => {
  const env = (app: string) => Object.fromEntries(container(app).env.map((e) => [e.name, e.value]));
  it('the gateway sends HSTS (every client comes over https) and believes forwarded headers from the Application Gateway only', () => {
    expect(env('gateway')).toMatchObject({ HSTS: 'true', TRUSTED_PROXIES: APP_GATEWAY_SUBNET });
  });
  it('sessions knows the public origin: https and the Ingress\'s host', () => {
    const host = named<Manifest & { spec: { rules: { host: string }[] } }>(aks, 'Ingress', 'strata').spec.rules[0]!.host;
    expect(host).toMatch(/^[a-z0-9.-]+\.[a-z]+$/);
    expect(env('sessions').PUBLIC_ORIGINS).toBe(`https://${host}`);
  });
  it('Application Gateway terminates TLS (policy min TLS 1.2 in deploy/infra) and redirects HTTP', () => {
    const ingress = named<Manifest & { spec: Obj }>(aks, 'Ingress', 'strata');
    expect(ingress.spec.ingressClassName).toBe('azure-application-gateway');
    expect(ingress.metadata?.annotations).toMatchObject({
      'appgw.ingress.kubernetes.io/ssl-redirect': 'true',
      'appgw.ingress.kubernetes.io/appgw-ssl-certificate': expect.any(String),
    });
  });
});
