import type { Manifest } from './kustomize.js';

/**
 * The rules for the apps' two listeners (deploy/README.md, "Listeners"), checked on rendered
 * manifests. Every app has a main listener (PORT) and an internal one (INTERNAL_PORT):
 *
 * - the public app's (the gateway's) main listener is the public entry, reached from the
 *   Application Gateway's subnet only; every other app's main listener is its Dapr app channel,
 *   bound to 127.0.0.1 for the sidecar in its pod, and reached from the network by nobody;
 * - the internal listener serves probes, /metrics and operator views: the kubelet (which no
 *   NetworkPolicy governs), Prometheus from its namespace (a PodMonitor scrapes it and the
 *   sidecar's metrics port) and, for the public app only, the Application Gateway's health probe;
 * - the sidecar talks to the app channel: the main listener, except for the public app, whose
 *   main listener is public and whose sidecar therefore talks to its internal listener;
 * - the sidecar presents an app token (dapr.io/app-token-secret) that the app also reads
 *   (APP_API_TOKEN), one Secret per app; the app presents the sidecar's API token (DAPR_API_TOKEN,
 *   which Dapr's injector gives to the sidecar only).
 */
export interface ListenerSpec {
  /** Each app's main and internal port (packages/contracts DefaultPorts). */
  apps: Record<string, { app: number; internal: number }>;
  /** The one app whose main listener is public. */
  publicApp: string;
  /** The Application Gateway's subnet: the only source of client traffic, and the only trusted proxy. */
  edgeCidr: string;
  /** Where Prometheus runs (Azure Monitor managed Prometheus: kube-system). */
  monitoringNamespace: string;
}

export interface ListenerProblem {
  rule: ListenerRule;
  /** kind/name of the manifest */
  subject: string;
  message: string;
}

export const LISTENER_RULES = [
  'ports', 'hosts', 'app-channel', 'app-health-check', 'probes', 'app-token', 'api-token',
  'sidecar-metrics', 'monitoring', 'network', 'services', 'ingress', 'trusted-proxies',
] as const;
export type ListenerRule = (typeof LISTENER_RULES)[number];

type Labels = Record<string, string>;
interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }
interface Probe { httpGet?: { path?: string; port?: number | string } }
interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}
interface Deployment extends Manifest {
  spec: { template: { metadata: { labels?: Labels; annotations?: Labels }; spec: { containers: Container[] } } };
}
interface Selector { matchLabels?: Labels; matchExpressions?: { key: string; operator: string; values?: string[] }[] }
interface Peer { ipBlock?: { cidr: string; except?: string[] }; namespaceSelector?: Selector; podSelector?: Selector }
interface PolicyPort { port?: number | string; endPort?: number }
interface NetworkPolicy extends Manifest {
  spec: { podSelector: Selector; policyTypes?: string[]; ingress?: { from?: Peer[]; ports?: PolicyPort[] }[] };
}
interface Service extends Manifest {
  spec: { selector?: Labels; ports: { targetPort?: number | string; port: number }[] };
}
interface PodMonitor extends Manifest {
  spec: { selector: Selector; namespaceSelector?: { any?: boolean; matchNames?: string[] }; podMetricsEndpoints?: { port?: string; path?: string }[] };
}
interface Ingress extends Manifest {
  spec: { rules?: { http?: { paths: { backend: { service?: { name: string } } }[] } }[] };
}

/** The name Dapr's injector gives the sidecar's metrics port (pkg/injector/consts.go). */
const SIDECAR_METRICS_PORT_NAME = 'dapr-metrics';
const ALL_INTERFACES = '0.0.0.0';
const LOOPBACK = '127.0.0.1';

export function checkListeners(manifests: Manifest[], spec: ListenerSpec): ListenerProblem[] {
  const problems: ListenerProblem[] = [];
  const of = <T>(kind: string) => manifests.filter((m) => m.kind === kind) as T[];
  const deployments = of<Deployment>('Deployment');
  const policies = of<NetworkPolicy>('NetworkPolicy');

  for (const [app, ports] of Object.entries(spec.apps)) {
    const deployment = deployments.find((d) => d.spec.template.metadata.annotations?.['dapr.io/app-id'] === app);
    const subject = `Deployment/${deployment?.metadata?.name ?? app}`;
    const report = (rule: ListenerRule, message: string) => problems.push({ rule, subject, message });
    if (!deployment) {
      report('ports', `no Deployment has dapr.io/app-id ${app}`);
      continue;
    }
    const isPublic = app === spec.publicApp;
    const annotations = deployment.spec.template.metadata.annotations ?? {};
    const container = deployment.spec.template.spec.containers[0]!;
    const env = new Map((container.env ?? []).map((e) => [e.name, e]));
    const value = (name: string) => env.get(name)?.value;
    const named = new Map((container.ports ?? []).map((p) => [p.name, p.containerPort]));
    const declared = (container.ports ?? []).map((p) => p.containerPort);

    // ports: the listeners are where contracts say, and only reachable ones are container ports
    if (value('PORT') !== String(ports.app)) report('ports', `PORT is ${value('PORT')}, contracts say ${ports.app}`);
    if (value('INTERNAL_PORT') !== String(ports.internal)) {
      report('ports', `INTERNAL_PORT is ${value('INTERNAL_PORT')}, contracts say ${ports.internal}`);
    }
    if (named.get('internal') !== ports.internal) report('ports', `the container port "internal" is not ${ports.internal}`);
    if (isPublic && named.get('http') !== ports.app) report('ports', `the container port "http" is not ${ports.app}`);
    if (!isPublic && declared.includes(ports.app)) {
      report('ports', `the main listener ${ports.app} is a container port, but only the sidecar may reach it`);
    }

    // hosts: the public entry and the internal listener on the pod IP, an app channel on loopback
    const host = isPublic ? ALL_INTERFACES : LOOPBACK;
    if (value('HOST') !== host) report('hosts', `HOST is ${value('HOST')}, must be ${host}`);
    if (value('INTERNAL_HOST') !== ALL_INTERFACES) {
      report('hosts', `INTERNAL_HOST is ${value('INTERNAL_HOST')}, must be ${ALL_INTERFACES} for the kubelet and Prometheus`);
    }

    // app-channel: the sidecar talks to the listener the app serves its channel on
    const channel = isPublic ? 'internal' : 'main';
    const channelPort = isPublic ? ports.internal : ports.app;
    if (value('APP_CHANNEL') !== channel) report('app-channel', `APP_CHANNEL is ${value('APP_CHANNEL')}, must be ${channel}`);
    if (annotations['dapr.io/app-port'] !== String(channelPort)) {
      report('app-channel', `dapr.io/app-port is ${annotations['dapr.io/app-port']}, must be ${channelPort} (the ${channel} listener)`);
    }

    // app-health-check: the channel serves /health/live without a token; anything else would
    // need the token or be a 404, and the sidecar would take the app for dead
    if (annotations['dapr.io/enable-app-health-check'] !== 'true' || annotations['dapr.io/app-health-check-path'] !== '/health/live') {
      report('app-health-check', 'the sidecar must check the app on /health/live');
    }

    // probes: on the internal listener, whatever the port is called
    const probePort = (p: number | string | undefined) => (typeof p === 'number' ? p : p === undefined ? undefined : named.get(p));
    for (const [probe, path] of [['startupProbe', '/health/live'], ['livenessProbe', '/health/live'], ['readinessProbe', '/health/ready']] as const) {
      const get = container[probe]?.httpGet;
      if (!get) report('probes', `no ${probe}`);
      else if (get.path !== path || probePort(get.port) !== ports.internal) {
        report('probes', `${probe} asks ${String(get.port)}${get.path ?? ''}, must ask ${path} on the internal listener (${ports.internal})`);
      }
    }

    // app-token: the sidecar's token for the app, from a Secret of this app's own, read by both
    const tokenSecret = annotations['dapr.io/app-token-secret'];
    const appToken = env.get('APP_API_TOKEN');
    if (!tokenSecret) report('app-token', 'no dapr.io/app-token-secret: nobody may call /dapr/*, subscriptions stop');
    else if (appToken?.valueFrom?.secretKeyRef?.name !== tokenSecret || appToken.valueFrom.secretKeyRef.key !== 'token') {
      report('app-token', `APP_API_TOKEN must come from the Secret ${tokenSecret} (key "token"), as the sidecar's does`);
    }
    if (appToken?.value !== undefined) report('app-token', 'APP_API_TOKEN is written in the manifest');
    const sharing = deployments.filter((d) => d !== deployment && tokenSecret && d.spec.template.metadata.annotations?.['dapr.io/app-token-secret'] === tokenSecret);
    if (sharing.length > 0) report('app-token', `the app token Secret ${tokenSecret} is shared with ${sharing.map((d) => d.metadata?.name).join(', ')}`);
    // the other direction's token: holding one would let a caller pose as the sidecar and call its API too
    if (tokenSecret && tokenSecret === annotations['dapr.io/api-token-secret']) {
      report('app-token', `the app token Secret ${tokenSecret} is also the sidecar's API token`);
    }

    // api-token: Dapr's injector gives the API token to the sidecar only; the app needs it too
    const apiSecret = annotations['dapr.io/api-token-secret'];
    const apiToken = env.get('DAPR_API_TOKEN')?.valueFrom?.secretKeyRef;
    if (!apiSecret || apiToken?.name !== apiSecret || apiToken.key !== 'token') {
      report('api-token', `DAPR_API_TOKEN must come from the sidecar's API token Secret (${apiSecret ?? 'none set'}, key "token")`);
    }

    // sidecar-metrics: one port per number in a pod, so never one of the app's own
    const metricsPort = Number(annotations['dapr.io/metrics-port'] ?? 9090);
    if ([ports.app, ports.internal, ...declared].includes(metricsPort)) {
      report('sidecar-metrics', `the sidecar's metrics port ${metricsPort} is one of the app's own ports`);
    }

    // monitoring: a PodMonitor scrapes the app's /metrics and the sidecar's, by port name
    const labels = deployment.spec.template.metadata.labels ?? {};
    const namespace = deployment.metadata?.namespace;
    const endpoints = of<PodMonitor>('PodMonitor')
      .filter((m) => selects(m.spec.selector, labels))
      .filter((m) => (m.spec.namespaceSelector?.any ?? false) || (m.spec.namespaceSelector?.matchNames ?? [m.metadata?.namespace]).includes(namespace))
      .flatMap((m) => (m.spec.podMetricsEndpoints ?? []).map((e) => `${e.port ?? ''}${e.path ?? '/metrics'}`));
    for (const wanted of ['internal/metrics', `${SIDECAR_METRICS_PORT_NAME}/`]) {
      if (!endpoints.includes(wanted)) report('monitoring', `no PodMonitor scrapes ${wanted.replace('/', ' at /')}`);
    }

    // network: who may reach each listener, from every NetworkPolicy that selects this pod
    const reach = (port: number) => reachers(policies.filter((p) => p.metadata?.namespace === namespace), labels, port, named);
    const edge = `ip:${spec.edgeCidr}`;
    const monitoring = `namespace:${spec.monitoringNamespace}`;
    const expected: [number, string, string[]][] = [
      [ports.app, 'main listener', isPublic ? [edge] : []],
      [ports.internal, 'internal listener', isPublic ? [edge, monitoring] : [monitoring]],
      [metricsPort, "sidecar's metrics", [monitoring]],
    ];
    for (const [port, what, allowed] of expected) {
      const got = reach(port);
      if (JSON.stringify(got) !== JSON.stringify([...allowed].sort())) {
        report('network', `port ${port} (${what}) is reachable from ${got.length ? got.join(', ') : 'nobody'}, must be from ${allowed.length ? allowed.join(', ') : 'nobody'}`);
      }
    }

    // trusted-proxies: the public app believes X-Forwarded-* from the Application Gateway only
    if (isPublic && value('TRUSTED_PROXIES') !== spec.edgeCidr) {
      report('trusted-proxies', `TRUSTED_PROXIES is ${value('TRUSTED_PROXIES')}, must be the Application Gateway's subnet ${spec.edgeCidr}`);
    }
  }

  // services: the public app's main listener is the only one with a Service (the Ingress's backend)
  const publicDeployment = deployments.find((d) => d.spec.template.metadata.annotations?.['dapr.io/app-id'] === spec.publicApp);
  const publicPorts = spec.apps[spec.publicApp]!;
  const publicNamed = new Map((publicDeployment?.spec.template.spec.containers[0]?.ports ?? []).map((p) => [p.name, p.containerPort]));
  for (const service of of<Service>('Service')) {
    const subject = `Service/${service.metadata?.name}`;
    const selected = deployments.filter((d) => selects({ matchLabels: service.spec.selector ?? {} }, d.spec.template.metadata.labels ?? {}));
    for (const d of selected) {
      if (d !== publicDeployment) problems.push({ rule: 'services', subject, message: `selects ${d.metadata?.name}, whose listeners only its sidecar and the cluster's monitoring may reach` });
    }
    if (!selected.includes(publicDeployment!)) continue;
    for (const port of service.spec.ports) {
      const target = typeof port.targetPort === 'string' ? publicNamed.get(port.targetPort) : (port.targetPort ?? port.port);
      if (target !== publicPorts.app) {
        problems.push({ rule: 'services', subject, message: `exposes ${String(port.targetPort)}, not only the main listener ${publicPorts.app}` });
      }
    }
  }

  // ingress: client traffic goes to the public app, and the edge's health probe to its internal
  // listener's readiness (the public listener serves no /health)
  const publicServices = of<Service>('Service')
    .filter((s) => publicDeployment && selects({ matchLabels: s.spec.selector ?? {} }, publicDeployment.spec.template.metadata.labels ?? {}))
    .map((s) => s.metadata?.name);
  for (const ingress of of<Ingress>('Ingress')) {
    const subject = `Ingress/${ingress.metadata?.name}`;
    for (const name of (ingress.spec.rules ?? []).flatMap((r) => r.http?.paths ?? []).map((p) => p.backend.service?.name)) {
      if (!publicServices.includes(name)) problems.push({ rule: 'ingress', subject, message: `routes to ${name}, not to ${spec.publicApp}` });
    }
    const a = ingress.metadata?.annotations ?? {};
    if (a['appgw.ingress.kubernetes.io/health-probe-port'] !== String(publicPorts.internal) || a['appgw.ingress.kubernetes.io/health-probe-path'] !== '/health/ready') {
      problems.push({ rule: 'ingress', subject, message: `the health probe must ask /health/ready on ${publicPorts.internal} (the internal listener)` });
    }
  }
  return problems;
}

function selects(selector: Selector, labels: Labels): boolean {
  const matchLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return matchLabels && (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In': return labels[key] !== undefined && values.includes(labels[key]);
      case 'NotIn': return labels[key] === undefined || !values.includes(labels[key]);
      case 'Exists': return key in labels;
      case 'DoesNotExist': return !(key in labels);
      default: throw new Error(`unknown selector operator ${operator}`);
    }
  });
}

/** A peer as one readable string: `ip:10.0.3.0/24`, `namespace:kube-system`, `pod:app.kubernetes.io/name=gateway`. */
function describePeer(peer: Peer): string {
  const selector = (s: Selector) =>
    [...Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`), ...(s.matchExpressions ?? []).map((e) => `${e.key} ${e.operator} ${(e.values ?? []).join('|')}`)].join(',') || '*';
  if (peer.ipBlock) return `ip:${peer.ipBlock.cidr}${peer.ipBlock.except?.length ? ` except ${peer.ipBlock.except.join(',')}` : ''}`;
  const namespace = peer.namespaceSelector;
  const name = namespace?.matchLabels?.['kubernetes.io/metadata.name'];
  const parts = [];
  if (namespace) parts.push(`namespace:${name && Object.keys(namespace.matchLabels ?? {}).length === 1 && !namespace.matchExpressions ? name : selector(namespace)}`);
  if (peer.podSelector) parts.push(`pod:${selector(peer.podSelector)}`);
  return parts.join('+');
}

/**
 * Who may open a connection to `port` of a pod with these labels, as Kubernetes decides it: a
 * pod no Ingress policy selects takes anything; otherwise the union of the rules that name the
 * port (or every port). Sorted; `anyone` for a rule without peers.
 */
function reachers(policies: NetworkPolicy[], labels: Labels, port: number, portNames: Map<string | undefined, number>): string[] {
  const isolating = policies.filter((p) => selects(p.spec.podSelector, labels) && (p.spec.policyTypes ?? ['Ingress']).includes('Ingress'));
  if (isolating.length === 0) return ['anyone'];
  const peers = new Set<string>();
  for (const rule of isolating.flatMap((p) => p.spec.ingress ?? [])) {
    const names = (p: PolicyPort) => {
      if (p.port === undefined) return true;
      const start = typeof p.port === 'number' ? p.port : portNames.get(p.port);
      return start !== undefined && port >= start && port <= (p.endPort ?? start);
    };
    if (rule.ports?.length && !rule.ports.some(names)) continue;
    if (!rule.from?.length) peers.add('anyone');
    for (const peer of rule.from ?? []) peers.add(describePeer(peer));
  }
  return [...peers].sort();
}
