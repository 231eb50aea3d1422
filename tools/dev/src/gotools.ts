import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGoBinary } from './gobuild.js';
import { REPO_ROOT, cacheDir } from './paths.js';

/**
 * A checker `npm test` runs on files of deploy/ and .github/ (promtool on the alert rules,
 * actionlint on the workflows), built like daprd and toxiproxy: a Go module of ours under tools/
 * requires the upstream one at a pinned version (the newest the Go module proxy serves here), the
 * binary is cached outside the checkout and rebuilt only when that pin changes. Never committed.
 */
export interface GoTool {
  name: string;
  version: string;
  /** Our module (tools/<name>): its go.mod and go.sum are the pin. */
  moduleDir: string;
  mainPackage: string;
  tags?: string;
  ldflags: string;
  /** The variable that points at a binary of one's own instead (a distribution's promtool). */
  pathEnv: string;
  /** How long a cold build takes, for the progress lines. */
  cost: string;
}

const PROMETHEUS_VERSION = '0.316.0';
/** promtool: `check rules` and `test rules` on deploy/k8s/base/monitoring/alerts.yaml. */
export const PROMTOOL: GoTool = {
  name: 'promtool',
  version: PROMETHEUS_VERSION,
  moduleDir: join(REPO_ROOT, 'tools', 'promtool'),
  mainPackage: 'github.com/prometheus/prometheus/cmd/promtool',
  // Prometheus's own build tag without its service discoveries (AWS, Azure, GCE, Kubernetes, ...):
  // rule checks and tests need none, and they are most of the build (the AWS SDK alone is minutes)
  tags: 'remove_all_sd',
  // prometheus/common's version package is what `promtool --version` prints
  ldflags: `-s -w -X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION} -X github.com/prometheus/common/version.Branch=module-proxy`,
  pathEnv: 'PROMTOOL_PATH',
  cost: 'about 500 packages, 1-3 minutes on 2 cores the first time (the module download is ~300 MB)',
};

const ACTIONLINT_VERSION = '1.7.12';
/** actionlint: the GitHub Actions workflows in .github/workflows. */
export const ACTIONLINT: GoTool = {
  name: 'actionlint',
  version: ACTIONLINT_VERSION,
  moduleDir: join(REPO_ROOT, 'tools', 'actionlint'),
  mainPackage: 'github.com/rhysd/actionlint/cmd/actionlint',
  ldflags: `-s -w -X github.com/rhysd/actionlint.version=${ACTIONLINT_VERSION}`,
  pathEnv: 'ACTIONLINT_PATH',
  cost: 'about 60 packages, 10-30 s on 2 cores',
};

function pinHash(tool: GoTool): string {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum']) hash.update(f).update(readFileSync(join(tool.moduleDir, f)));
  hash.update(tool.ldflags).update(tool.tags ?? '');
  return hash.digest('hex').slice(0, 12);
}

export function cachedGoToolPath(tool: GoTool): string {
  return join(cacheDir(), tool.name, `${tool.version}-${pinHash(tool)}`, tool.name);
}

/** The binary to run: its variable (PROMTOOL_PATH, ACTIONLINT_PATH), else our cached build, else a build. */
export async function ensureGoTool(tool: GoTool): Promise<string> {
  const explicit = process.env[tool.pathEnv];
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`${tool.pathEnv}=${explicit} does not exist`);
    return explicit;
  }
  const cached = cachedGoToolPath(tool);
  if (existsSync(cached)) return cached;
  if (spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).status !== 0) {
    throw new Error(`Go is needed to build ${tool.name} ${tool.version} (none cached); install Go 1.26 or set ${tool.pathEnv} to a ${tool.name} binary`);
  }
  await buildGoBinary({
    name: tool.name,
    version: tool.version,
    moduleDir: tool.moduleDir,
    mainPackage: tool.mainPackage,
    ...(tool.tags ? { tags: tool.tags } : {}),
    ldflags: tool.ldflags,
    target: cached,
    notes: [`${tool.cost}; cached in ${join(cached, '..')} until the pin in tools/${tool.name} changes`],
  });
  return cached;
}

export const ensurePromtool = (): Promise<string> => ensureGoTool(PROMTOOL);
export const ensureActionlint = (): Promise<string> => ensureGoTool(ACTIONLINT);
