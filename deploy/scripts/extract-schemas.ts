/**
 * Writes the JSON schemas that deploy/test validates manifests against, from three upstream sources
 * fetched with `go mod download` (the Go module proxy):
 *
 * - Kubernetes: `api/openapi-spec/swagger.json` of the module k8s.io/kubernetes at KUBERNETES_VERSION
 *   (the API server's own OpenAPI document), cut to the kinds deploy/ uses and what they reference.
 * - Dapr: the CustomResourceDefinitions in `charts/dapr/crds/` of github.com/dapr/dapr at
 *   DAPR_VERSION (Component, Configuration, Resiliency, Subscription), their openAPIV3Schema.
 * - Azure Monitor: the PodMonitor CRD in `example/prometheus-operator-crd/` of
 *   github.com/prometheus-operator/prometheus-operator at PROMETHEUS_OPERATOR_VERSION, moved to the
 *   group azmonitoring.coreos.com, where managed Prometheus installs the same CRD. The add-on's copy
 *   is an older release of it: the PodMonitor in k8s/base/monitoring uses only long-standing fields.
 *
 * Both are made strict the way the API server's field validation is (`kubectl apply
 * --validate=strict`): an object that lists its properties accepts no others, unless the schema
 * says it keeps unknown fields. Descriptions are dropped to keep the files small.
 *
 * Run: npm run schemas -w @strata/deploy [-- kubernetes|dapr|monitoring ...] (only when a version
 * changes; the output is committed). Without names, every file is written.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  DAPR_SCHEMA_FILE, DAPR_VERSION, K8S_SCHEMA_FILE, KUBERNETES_VERSION, MONITORING_SCHEMA_FILE, PROMETHEUS_OPERATOR_VERSION, SCHEMA_DIR,
} from '../src/versions.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The kinds deploy/ renders, by apiVersion/kind. */
const KUBERNETES_KINDS = [
  'v1/Namespace',
  'v1/ServiceAccount',
  'v1/Service',
  'v1/ConfigMap',
  'apps/v1/Deployment',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'policy/v1/PodDisruptionBudget',
  'networking.k8s.io/v1/NetworkPolicy',
  'networking.k8s.io/v1/Ingress',
];
const DAPR_CRDS = ['components.yaml', 'configuration.yaml', 'resiliency.yaml', 'subscription.yaml'];

function moduleDir(path: string, version: string): string {
  const out = execFileSync('go', ['mod', 'download', '-json', `${path}@${version}`], { encoding: 'utf8' });
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${path}@${version}: ${info.Error ?? 'no directory'}`);
  return info.Dir;
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Drops descriptions and vendor extensions, rewrites refs, and closes objects that list properties. */
function strict(node: Json, refPrefix: string): Json {
  if (Array.isArray(node)) return node.map((n) => strict(n, refPrefix));
  if (!isObject(node)) return node;
  if (node['x-kubernetes-int-or-string'] === true) return { anyOf: [{ type: 'integer' }, { type: 'string' }] };
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' || key.startsWith('x-') || key === 'format') continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.replace('#/definitions/', refPrefix);
      continue;
    }
    // `properties` and `definitions` map names to schemas: recurse into each value, keep the names
    if ((key === 'properties' || key === 'definitions' || key === 'patternProperties') && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strict(v, refPrefix)]));
      continue;
    }
    out[key] = strict(value, refPrefix);
  }
  const keepsUnknown = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (isObject(node.properties) && node.additionalProperties === undefined && !keepsUnknown) {
    out.additionalProperties = false;
  }
  return out;
}

function kubernetes(): JsonObject {
  const dir = moduleDir('k8s.io/kubernetes', `v${KUBERNETES_VERSION}`);
  const swagger = JSON.parse(readFileSync(join(dir, 'api/openapi-spec/swagger.json'), 'utf8')) as {
    definitions: Record<string, JsonObject>;
  };
  const byKind = new Map<string, string>();
  for (const [name, def] of Object.entries(swagger.definitions)) {
    const gvks = def['x-kubernetes-group-version-kind'];
    if (!Array.isArray(gvks)) continue;
    for (const gvk of gvks) {
      if (!isObject(gvk)) continue;
      const group = String(gvk.group ?? '');
      byKind.set(`${group ? `${group}/` : ''}${String(gvk.version)}/${String(gvk.kind)}`, name);
    }
  }
  const kinds: Record<string, string> = {};
  const needed = new Set<string>();
  const visit = (name: string) => {
    if (needed.has(name)) return;
    const def = swagger.definitions[name];
    if (!def) throw new Error(`swagger.json has no definition ${name}`);
    needed.add(name);
    JSON.stringify(def, (key, value: unknown) => {
      if (key === '$ref' && typeof value === 'string') visit(value.replace('#/definitions/', ''));
      return value;
    });
  };
  for (const kind of KUBERNETES_KINDS) {
    const name = byKind.get(kind);
    if (!name) throw new Error(`Kubernetes ${KUBERNETES_VERSION} has no ${kind}`);
    kinds[kind] = name;
    visit(name);
  }
  const definitions: JsonObject = {};
  for (const name of [...needed].sort()) {
    definitions[name] = strict(swagger.definitions[name]!, '#/definitions/');
  }
  // In JSON these two accept a number as well as a string ("500m", 2, "50%", 8080).
  definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { anyOf: [{ type: 'integer' }, { type: 'string' }] };
  definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = { anyOf: [{ type: 'number' }, { type: 'string' }] };
  return {
    $id: 'kubernetes',
    $comment:
      `Generated by deploy/scripts/extract-schemas.ts from api/openapi-spec/swagger.json of the Go ` +
      `module k8s.io/kubernetes@v${KUBERNETES_VERSION}; strict (unknown fields rejected).`,
    kubernetesVersion: KUBERNETES_VERSION,
    kinds,
    definitions,
  };
}

/** The openAPIV3Schema of each version of the CRDs in these files, keyed `group/version/Kind`. */
function crdSchemas(files: string[], group = (g: string) => g): { kinds: Record<string, string>; definitions: JsonObject } {
  const kinds: Record<string, string> = {};
  const definitions: JsonObject = {};
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd = doc.toJSON() as JsonObject | null;
      if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
      const spec = crd.spec as JsonObject;
      const kind = String((spec.names as JsonObject).kind);
      for (const version of spec.versions as JsonObject[]) {
        const name = `${group(String(spec.group))}/${String(version.name)}/${kind}`;
        const schema = strict(((version.schema as JsonObject).openAPIV3Schema as JsonObject), '#/definitions/') as JsonObject;
        // a CRD's metadata is the ordinary ObjectMeta
        (schema.properties as JsonObject).metadata = {
          $ref: 'kubernetes#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
        };
        kinds[name] = name;
        definitions[name] = schema;
      }
    }
  }
  return { kinds, definitions };
}

function dapr(): JsonObject {
  const dir = moduleDir('github.com/dapr/dapr', `v${DAPR_VERSION}`);
  return {
    $id: 'dapr',
    $comment:
      `Generated by deploy/scripts/extract-schemas.ts from charts/dapr/crds/*.yaml of the Go module ` +
      `github.com/dapr/dapr@v${DAPR_VERSION} (openAPIV3Schema of each CRD version); strict.`,
    daprVersion: DAPR_VERSION,
    ...crdSchemas(DAPR_CRDS.map((f) => join(dir, 'charts/dapr/crds', f))),
  };
}

function monitoring(): JsonObject {
  const dir = moduleDir('github.com/prometheus-operator/prometheus-operator', `v${PROMETHEUS_OPERATOR_VERSION}`);
  const file = join(dir, 'example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml');
  return {
    $id: 'azmonitoring',
    $comment:
      `Generated by deploy/scripts/extract-schemas.ts from example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml ` +
      `of the Go module github.com/prometheus-operator/prometheus-operator@v${PROMETHEUS_OPERATOR_VERSION}, in Azure Monitor's ` +
      `group azmonitoring.coreos.com; strict.`,
    prometheusOperatorVersion: PROMETHEUS_OPERATOR_VERSION,
    ...crdSchemas([file], (g) => g.replace(/^monitoring\.coreos\.com$/, 'azmonitoring.coreos.com')),
  };
}

const writers: Record<string, () => string> = {
  kubernetes: () => { writeFileSync(join(SCHEMA_DIR, K8S_SCHEMA_FILE), `${JSON.stringify(kubernetes())}\n`); return K8S_SCHEMA_FILE; },
  dapr: () => { writeFileSync(join(SCHEMA_DIR, DAPR_SCHEMA_FILE), `${JSON.stringify(dapr(), null, 1)}\n`); return DAPR_SCHEMA_FILE; },
  monitoring: () => { writeFileSync(join(SCHEMA_DIR, MONITORING_SCHEMA_FILE), `${JSON.stringify(monitoring(), null, 1)}\n`); return MONITORING_SCHEMA_FILE; },
};
const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in writers));
if (unknown.length > 0) throw new Error(`unknown schema ${unknown.join(', ')}: choose from ${Object.keys(writers).join(', ')}`);
const written = (names.length > 0 ? names : Object.keys(writers)).map((n) => writers[n]!());
console.log(`wrote ${written.join(', ')} in ${SCHEMA_DIR}`);
