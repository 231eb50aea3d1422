/**
 * deploy/ names the same apps, ports, components, topics and secrets as packages/contracts (the
 * single source of truth), dapr.yaml and dapr/ (the local run).
 */
import { ALL_APP_IDS, Components, DefaultPorts, Secrets, Topics, type AppId } from '@strata/contracts';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// the launcher's own reading of dapr.yaml: the same ports it starts the local apps on
import { readRunFile } from '@strata/dev/runfile';
import { AZURE_OPENAI_KEY_SECRET, CONVERSATION_COMPONENT, SMTP_SECRETS } from '../src/azure-only.js';
import { imageDefaults } from '../src/dockerfile-lint.js';
import { parseManifests, type Manifest } from '../src/kustomize.js';
import { DEPLOY_DIR, REPO_ROOT } from '../src/versions.js';
import { RENDER_TIMEOUT, named, ofKind, renderAks } from './render.js';

type Component = Manifest & {
  spec: { type: string; version: string; metadata: { name: string; value?: string; secretKeyRef?: { name: string; key: string } }[] };
  scopes?: string[];
  auth?: { secretStore: string };
};
type Template = {
  metadata: { annotations: Record<string, string> };
  spec: { containers: { env: { name: string; value?: string }[]; ports: { name: string; containerPort: number }[] }[] };
};

const readYamlDir = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8')));
const localComponents = readYamlDir(join(REPO_ROOT, 'dapr/components')) as Component[];
const runApps = readRunFile(join(REPO_ROOT, 'dapr.yaml'));
const runApp = (app: string) => {
  const found = runApps.find((a) => a.appId === app);
  if (!found) throw new Error(`dapr.yaml has no app ${app}`);
  return found;
};
/** Partner app-ids that accessControl may name (they run in the partners namespace). */
const PARTNER_APP_IDS = ['partner-example'];
/** Secrets only the Azure components read (the local Redis has no password, there is no local model, and no SMTP relay). */
const AZURE_ONLY_SECRETS = ['redis-password', AZURE_OPENAI_KEY_SECRET, ...SMTP_SECRETS];
/**
 * Components only AKS has: the language model (Azure OpenAI) behind insights' answers, which has no
 * local stand-in; without it insights answers extractively. contracts may name it or not.
 */
// every component deploy/ has, locally too (the language model as Dapr's echo)
const AZURE_ONLY_COMPONENTS: string[] = [];
const sharedComponents = () => Object.values(Components).filter((name) => !AZURE_ONLY_COMPONENTS.includes(name));

let aks: Manifest[];
beforeAll(() => {
  aks = renderAks();
}, RENDER_TIMEOUT);
const template = (app: string) => named<Manifest & { spec: { template: Template } }>(aks, 'Deployment', app).spec.template;

describe('apps and ports', () => {
  it('dapr.yaml, contracts and the Deployments name the same apps', () => {
    const deployed = ofKind(aks, 'Deployment').map((d) => (d as unknown as { spec: { template: Template } }).spec.template.metadata.annotations['dapr.io/app-id']);
    expect(deployed.sort()).toEqual([...ALL_APP_IDS].sort());
    expect(runApps.map((a) => a.appId).sort()).toEqual([...ALL_APP_IDS].sort());
  });

  it.each(ALL_APP_IDS)('%s listens on the same ports everywhere, and its sidecar talks to its app channel', (app: AppId) => {
    const { app: port, internal } = DefaultPorts[app];
    // the sidecar talks to the main listener, except for the gateway, whose main listener is public
    const channel = app === 'gateway' ? internal : port;
    const local = runApp(app);
    expect({ port: local.port, internalPort: local.internalPort, appPort: local.appPort }).toEqual({ port, internalPort: internal, appPort: channel });
    const t = template(app);
    const env = Object.fromEntries(t.spec.containers[0]!.env.map((e) => [e.name, e.value]));
    expect(t.metadata.annotations['dapr.io/app-port']).toBe(String(channel));
    expect(env).toMatchObject({ APP_ID: app, PORT: String(port), INTERNAL_PORT: String(internal) });
    // the image's defaults are what the cluster sets, and it exposes the ports the pod declares
    const image = imageDefaults(readFileSync(join(DEPLOY_DIR, 'docker', `${app}.Dockerfile`), 'utf8'));
    expect(image.env).toMatchObject({ APP_ID: app, PORT: String(port), INTERNAL_PORT: String(internal), HOST: env.HOST, INTERNAL_HOST: env.INTERNAL_HOST });
    expect(image.exposed.sort()).toEqual(t.spec.containers[0]!.ports.map((p) => p.containerPort).sort());
  });

  it('a raised request-body limit is at least what dapr.yaml gives, and both annotations agree', () => {
    for (const app of ['gateway', 'files', 'insights']) {
      const a = template(app).metadata.annotations;
      const local = runApp(app).maxBodyMiB ?? 4;
      expect(Number(a['dapr.io/http-max-request-size'])).toBeGreaterThanOrEqual(local);
      expect(a['dapr.io/max-body-size']).toBe(`${a['dapr.io/http-max-request-size']}Mi`);
    }
  });

  it("insights' sidecar lets through the largest document the indexer reads (its bytes come back from files through it)", () => {
    const env = Object.fromEntries(template('insights').spec.containers[0]!.env.map((e) => [e.name, e.value]));
    const maxBytes = Number(env.INDEX_MAX_BYTES);
    expect(maxBytes).toBeGreaterThan(0);
    expect(Number(template('insights').metadata.annotations['dapr.io/http-max-request-size']) * 1024 * 1024).toBeGreaterThanOrEqual(maxBytes);
  });

  it("the gateway's sidecar reads headers as large as dapr.yaml lets it, above the gateway's own 16 KiB", () => {
    const local = runApp('gateway').readBufferKiB ?? 4;
    expect(local).toBeGreaterThan(16);
    expect(Number(template('gateway').metadata.annotations['dapr.io/http-read-buffer-size'])).toBe(local);
  });
});

describe('Dapr components', () => {
  const deployed = () => ofKind<Component>(aks, 'Component');

  it('the same component names as contracts and dapr/components, and the Azure-only ones', () => {
    expect(localComponents.map((c) => c.metadata?.name).sort()).toEqual(sharedComponents().sort());
    expect(deployed().map((c) => c.metadata?.name).sort()).toEqual([...sharedComponents(), ...AZURE_ONLY_COMPONENTS].sort());
  });

  it.each(sharedComponents())('%s has the same scopes as locally', (name) => {
    const local = localComponents.find((c) => c.metadata?.name === name)!;
    expect(named<Component>(aks, 'Component', name).scopes).toEqual(local.scopes);
  });

  it('scopes and secret stores name known apps and stores', () => {
    for (const c of deployed()) {
      for (const scope of c.scopes ?? []) expect(ALL_APP_IDS).toContain(scope);
      if (c.auth) expect(c.auth.secretStore).toBe(Components.secretstore);
    }
  });

  it('the Azure types: Redis pub/sub over TLS on 6380, Postgres v2, Blob and Key Vault through workload identity', () => {
    const meta = (c: Component) => Object.fromEntries(c.spec.metadata.map((m) => [m.name, m.value ?? m.secretKeyRef]));
    const pubsub = named<Component>(aks, 'Component', Components.pubsub);
    expect(pubsub.spec.type).toBe('pubsub.redis');
    expect(meta(pubsub)).toMatchObject({ enableTLS: 'true', redisPassword: { name: 'redis-password', key: 'redis-password' } });
    expect(String(meta(pubsub).redisHost)).toMatch(/\.redis\.cache\.windows\.net:6380$/);
    const state = named<Component>(aks, 'Component', Components.statestore);
    expect([state.spec.type, state.spec.version]).toEqual(['state.postgresql', 'v2']);
    expect(meta(state).connectionString).toEqual({ name: Secrets.postgresConnectionString, key: Secrets.postgresConnectionString });
    const blob = named<Component>(aks, 'Component', Components.blobstore);
    expect(blob.spec.type).toBe('bindings.azure.blobstorage');
    expect(meta(blob)).toMatchObject({ containerName: 'strata-files', azureClientId: expect.any(String), accountName: expect.any(String) });
    const vault = named<Component>(aks, 'Component', Components.secretstore);
    expect(vault.spec.type).toBe('secretstores.azure.keyvault');
    expect(meta(vault)).toMatchObject({ azureClientId: expect.any(String), vaultName: expect.any(String) });
    // no keys: nothing but the Postgres connection string and the Redis password comes from a secret
    for (const c of [blob, vault]) {
      expect(Object.keys(meta(c))).not.toEqual(expect.arrayContaining([expect.stringMatching(/accountKey|connectionString|clientSecret/)]));
    }
  });

  it("the language model: Azure OpenAI through conversation.openai, its key from Key Vault, for insights only, which names it", () => {
    const llm = named<Component>(aks, 'Component', CONVERSATION_COMPONENT);
    const meta = Object.fromEntries(llm.spec.metadata.map((m) => [m.name, m.value ?? m.secretKeyRef]));
    expect([llm.spec.type, llm.spec.version]).toEqual(['conversation.openai', 'v1']);
    expect(meta).toEqual({
      key: { name: AZURE_OPENAI_KEY_SECRET, key: AZURE_OPENAI_KEY_SECRET },
      apiType: 'azure',
      endpoint: expect.stringMatching(/^https:\/\/[a-z0-9-]+\.openai\.azure\.com\/$/),
      apiVersion: expect.stringMatching(/^\d{4}-\d{2}-\d{2}(-preview)?$/),
      model: expect.stringMatching(/^[a-z0-9.-]+$/),
    });
    expect(llm.auth).toEqual({ secretStore: Components.secretstore });
    expect(llm.scopes).toEqual(['insights']);
    const env = Object.fromEntries(template('insights').spec.containers[0]!.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ CONVERSATION_COMPONENT, ASK_SCRUB_PII: 'true' });
    // no other app is told of a model it could not reach
    for (const app of ALL_APP_IDS.filter((a) => a !== 'insights')) {
      expect(template(app).spec.containers[0]!.env.map((e) => e.name), app).not.toContain('CONVERSATION_COMPONENT');
    }
  });

  it('pub/sub allows exactly the topics in contracts', () => {
    const pubsub = named<Component>(aks, 'Component', Components.pubsub);
    const allowed = pubsub.spec.metadata.find((m) => m.name === 'allowedTopics')?.value?.split(',') ?? [];
    expect(allowed.sort()).toEqual(Object.values(Topics).sort());
  });

  it('every secret named in deploy/ is one contracts knows (or the Azure-only Redis password)', () => {
    const known = [...Object.values(Secrets), ...AZURE_ONLY_SECRETS];
    for (const c of deployed()) {
      for (const m of c.spec.metadata) if (m.secretKeyRef) expect(known).toContain(m.secretKeyRef.name);
    }
    for (const config of ofKind<Manifest & { spec: { secrets: { scopes: { allowedSecrets: string[] }[] } } }>(aks, 'Configuration')) {
      for (const s of config.spec.secrets.scopes.flatMap((x) => x.allowedSecrets)) expect(known).toContain(s);
    }
  });
});

describe('the Secrets the runbook creates (deploy/README.md, step 8)', () => {
  type Pod = { metadata: { annotations: Record<string, string> }; spec: { containers: { env: { valueFrom?: { secretKeyRef?: { name: string } } }[] }[] } };
  /** `kubectl create secret generic <name>`, with `for app in …; do … "$app-…"` loops expanded. */
  const created = () => {
    const readme = readFileSync(join(DEPLOY_DIR, 'README.md'), 'utf8');
    const names = new Set<string>();
    for (const [, name] of readme.matchAll(/kubectl create secret generic ([a-z0-9-]+) -n strata/g)) names.add(name!);
    for (const [, apps, body] of readme.matchAll(/^for app in ([a-z ]+); do\n([\s\S]*?)^done$/gm)) {
      for (const [, suffix] of body!.matchAll(/kubectl create secret generic "\$app(-[a-z0-9-]+)" -n strata/g)) {
        for (const app of apps!.trim().split(/\s+/)) names.add(`${app}${suffix!}`);
      }
    }
    return names;
  };

  it('every Secret a pod or its sidecar reads is created by the runbook, with a random token', () => {
    const referenced = new Set<string>();
    for (const app of ALL_APP_IDS) {
      const pod = template(app) as unknown as Pod;
      for (const key of ['dapr.io/api-token-secret', 'dapr.io/app-token-secret']) referenced.add(pod.metadata.annotations[key]!);
      for (const e of pod.spec.containers[0]!.env) if (e.valueFrom?.secretKeyRef) referenced.add(e.valueFrom.secretKeyRef.name);
    }
    expect(referenced.size).toBe(ALL_APP_IDS.length + 1);
    expect([...referenced].filter((name) => !created().has(name))).toEqual([]);
    // no Secret of the namespace is in git
    expect(ofKind(aks, 'Secret')).toEqual([]);
  });
});

describe('Dapr configuration and resiliency', () => {
  type Configuration = Manifest & {
    spec: { accessControl: { defaultAction: string; policies: { appId: string; namespace?: string; trustDomain?: string }[] } };
  };
  it.each(ALL_APP_IDS)('%s uses its own Configuration: deny by default, the gateway and named partners allowed', (app) => {
    const name = template(app).metadata.annotations['dapr.io/config']!;
    const config = named<Configuration>(aks, 'Configuration', name);
    expect(config.spec.accessControl.defaultAction).toBe('deny');
    for (const policy of config.spec.accessControl.policies) {
      expect([...ALL_APP_IDS, ...PARTNER_APP_IDS]).toContain(policy.appId);
      // Dapr refuses a policy without them
      expect(policy.namespace).toBeTruthy();
      expect(policy.trustDomain).toBeTruthy();
    }
    const callers = config.spec.accessControl.policies.map((p) => p.appId);
    if (app === 'gateway') expect(callers).toEqual([]);
    else expect(callers).toContain('gateway');
  });

  it('the resiliency policies are the local ones', () => {
    const local = parseManifests(readFileSync(join(REPO_ROOT, 'dapr/config/resiliency.yaml'), 'utf8'))[0]!;
    const deployed = ofKind(aks, 'Resiliency');
    expect(deployed).toHaveLength(1);
    expect(deployed[0]!.spec).toEqual(local.spec);
    expect(deployed[0]!.metadata?.name).toBe(local.metadata?.name);
  });

  it('mTLS is on for the control plane (helm values)', () => {
    const values = parse(readFileSync(join(DEPLOY_DIR, 'dapr/helm-values.yaml'), 'utf8')) as {
      global: { mtls: { enabled: boolean } };
      dapr_sidecar_injector: Record<string, boolean>;
    };
    expect(values.global.mtls.enabled).toBe(true);
    expect(values.dapr_sidecar_injector).toMatchObject({ sidecarRunAsNonRoot: true, sidecarReadOnlyRootFilesystem: true, sidecarDropALLCapabilities: true });
  });
});
