import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kustomizeBuild, parseManifests, type Manifest } from '../src/kustomize.js';
import { ManifestValidator } from '../src/schema-validator.js';
import { BASE, RENDER_TIMEOUT, renderAks } from './render.js';

const validator = new ManifestValidator();
let aks: Manifest[];
beforeAll(() => {
  aks = renderAks();
}, RENDER_TIMEOUT);

describe('rendered manifests against the Kubernetes 1.34 and Dapr 1.18 schemas', () => {
  it('the aks overlay renders every kind deploy/ needs', () => {
    const kinds = new Set(aks.map((m) => m.kind));
    for (const kind of [
      'Namespace', 'ServiceAccount', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget',
      'NetworkPolicy', 'Ingress', 'ConfigMap', 'Component', 'Configuration', 'Resiliency', 'PodMonitor',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
  });

  it('every manifest of the aks overlay is valid', () => {
    expect(validator.validateAll(aks)).toEqual([]);
  });

  it('the base is valid on its own', () => {
    expect(validator.validateAll(kustomizeBuild(BASE))).toEqual([]);
  });

  it('the overlay leaves no placeholder behind', () => {
    // the ConfigMap that carries azure.env names them as keys; everything else must hold values
    const placeholder = /REDIS_HOST|STORAGE_ACCOUNT|KEY_VAULT_NAME|FILES_CLIENT_ID|SECRETS_CLIENT_ID|STRATA_HOST|APP_GATEWAY_SUBNET/;
    const left = aks
      .filter((m) => m.kind !== 'ConfigMap')
      .filter((m) => placeholder.test(JSON.stringify(m)))
      .map((m) => `${String(m.kind)}/${String(m.metadata?.name)}`);
    expect(left).toEqual([]);
  });
});

describe('the validator rejects what the API server would', () => {
  const broken = parseManifests(readFileSync(join(import.meta.dirname, 'fixtures/broken-deployment.yaml'), 'utf8'));
  const problems = validator.validateAll(broken);
  const about = (name: string) => problems.filter((p) => p.manifest === name).map((p) => p.message);

  it('rejects a Deployment with a mistyped field and a string replica count', () => {
    expect(about('apps/v1/Deployment/broken')).toEqual(
      expect.arrayContaining([
        '/spec/replicas: must be integer',
        '/spec/template/spec/containers/0: unknown field "readinessprobe"',
      ]),
    );
  });

  it('rejects a Dapr Component without a type and with a misspelt field', () => {
    expect(about('dapr.io/v1alpha1/Component/broken')).toEqual(
      expect.arrayContaining(["/spec: must have required property 'type'", '/spec: unknown field "metdata"']),
    );
  });

  it('rejects an Azure Monitor PodMonitor with a misspelt field', () => {
    expect(about('azmonitoring.coreos.com/v1/PodMonitor/broken')).toEqual(['/spec: unknown field "podMetricEndpoints"']);
  });

  it('rejects a kind it has no schema for', () => {
    expect(about('example.com/v1/Widget/broken')).toEqual([expect.stringMatching(/^no schema for example.com\/v1\/Widget/)]);
  });

  it('accepts the same Deployment once it is fixed', () => {
    const fixed = structuredClone(broken[0]!) as Manifest & { spec: Record<string, unknown> };
    fixed.spec.replicas = 3;
    const container = (fixed.spec.template as { spec: { containers: Record<string, unknown>[] } }).spec.containers[0]!;
    container.readinessProbe = container.readinessprobe;
    delete container.readinessprobe;
    expect(validator.validate(fixed)).toEqual([]);
  });
});
