import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Kubernetes API the manifests are validated against (the AKS version deploy/infra asks for). */
export const KUBERNETES_VERSION = '1.34.4';
/** The Dapr release on the cluster (helm chart) and in the local sidecars (tools/daprd). */
export const DAPR_VERSION = '1.18.3';
/**
 * The prometheus-operator release whose PodMonitor CRD the PodMonitor is validated against. Azure
 * Monitor's managed Prometheus installs the same CRD in its own group (azmonitoring.coreos.com).
 */
export const PROMETHEUS_OPERATOR_VERSION = '0.85.0';
/** kustomize, built from the Go module proxy into the user cache on first use. */
export const KUSTOMIZE_VERSION = '5.8.1';

/** deploy/ (this file is deploy/src/versions.ts). */
export const DEPLOY_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(DEPLOY_DIR, '..');
export const SCHEMA_DIR = join(DEPLOY_DIR, 'schemas');
export const K8S_SCHEMA_FILE = `kubernetes-${KUBERNETES_VERSION}.json`;
export const DAPR_SCHEMA_FILE = `dapr-${DAPR_VERSION}.json`;
export const MONITORING_SCHEMA_FILE = `azmonitoring-${PROMETHEUS_OPERATOR_VERSION}.json`;
/** Every schema file the validator loads. */
export const SCHEMA_FILES = [K8S_SCHEMA_FILE, DAPR_SCHEMA_FILE, MONITORING_SCHEMA_FILE];

/** Per-user cache outside the checkout, shared with tools/dev (daprd): a fresh clone reuses it. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'strata');
}
