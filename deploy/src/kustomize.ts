import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KUSTOMIZE_VERSION, cacheDir } from './versions.js';

export type Manifest = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

export function cachedKustomizePath(): string {
  return join(cacheDir(), 'kustomize', KUSTOMIZE_VERSION, 'kustomize');
}

/**
 * The kustomize binary: KUSTOMIZE_PATH when set, else our cached build, else `go install` of the
 * pinned release from the Go module proxy into the cache (about 30 s the first time).
 */
export function ensureKustomize(): string {
  const explicit = process.env.KUSTOMIZE_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`KUSTOMIZE_PATH=${explicit} does not exist`);
    return explicit;
  }
  const cached = cachedKustomizePath();
  if (existsSync(cached)) return cached;
  const dir = join(cacheDir(), 'kustomize', KUSTOMIZE_VERSION);
  mkdirSync(dir, { recursive: true });
  // build into a fresh folder, then move: two test runs at once never see half a binary
  const tmp = mkdtempSync(join(dir, '.build-'));
  try {
    const result = spawnSync(
      'go',
      ['install', '-ldflags', '-s -w', `sigs.k8s.io/kustomize/kustomize/v5@v${KUSTOMIZE_VERSION}`],
      { env: { ...process.env, GOBIN: tmp, GOFLAGS: '-buildvcs=false' }, encoding: 'utf8' },
    );
    if (result.error) throw new Error(`Go is needed to build kustomize ${KUSTOMIZE_VERSION}: ${result.error.message}`);
    if (result.status !== 0) throw new Error(`go install kustomize ${KUSTOMIZE_VERSION} failed:\n${result.stderr}`);
    renameSync(join(tmp, 'kustomize'), cached);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return cached;
}

/** Renders a kustomization directory into its manifests. */
export function kustomizeBuild(dir: string): Manifest[] {
  const out = execFileSync(ensureKustomize(), ['build', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return parseManifests(out);
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
      return doc.toJSON() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}
