import { join } from 'node:path';
import { kustomizeBuild, type Manifest } from '../src/kustomize.js';
import { DEPLOY_DIR } from '../src/versions.js';

export const AKS_OVERLAY = join(DEPLOY_DIR, 'k8s/overlays/aks');
export const BASE = join(DEPLOY_DIR, 'k8s/base');

let aks: Manifest[] | undefined;
/** The aks overlay, rendered once per test file (the first run may build kustomize: ~30 s). */
export function renderAks(): Manifest[] {
  aks ??= kustomizeBuild(AKS_OVERLAY);
  return aks;
}

export function ofKind<T = Manifest>(manifests: Manifest[], kind: string): T[] {
  return manifests.filter((m) => m.kind === kind) as T[];
}

export function named<T = Manifest>(manifests: Manifest[], kind: string, name: string): T {
  const found = manifests.find((m) => m.kind === kind && m.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found as T;
}

/** First-run budget: building kustomize from the Go module proxy (over 3 min on a fresh, loaded 2-core machine). */
export const RENDER_TIMEOUT = 600_000;
