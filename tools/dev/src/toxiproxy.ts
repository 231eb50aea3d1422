import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGoBinary } from './gobuild.js';
import { REPO_ROOT, cacheDir } from './paths.js';

/**
 * Toxiproxy, the TCP proxy the chaos scenarios put between the apps and Postgres or Redis to add
 * latency, resets and black holes. v2.5.0 is the newest release the Go module proxy serves here.
 * Built like daprd: our module in tools/toxiproxy requires it, the binary is cached outside the
 * checkout and rebuilt only when that pin changes.
 */
export const TOXIPROXY_VERSION = '2.5.0';
const MODULE_DIR = join(REPO_ROOT, 'tools', 'toxiproxy');
const MAIN_PACKAGE = 'github.com/Shopify/toxiproxy/v2/cmd/server';
const LDFLAGS = `-s -w -X github.com/Shopify/toxiproxy/v2.Version=${TOXIPROXY_VERSION}`;

function pinHash(): string {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum']) hash.update(f).update(readFileSync(join(MODULE_DIR, f)));
  hash.update(LDFLAGS);
  return hash.digest('hex').slice(0, 12);
}

export function cachedToxiproxyPath(): string {
  return join(cacheDir(), 'toxiproxy', `${TOXIPROXY_VERSION}-${pinHash()}`, 'toxiproxy-server');
}

/** The toxiproxy-server to run: TOXIPROXY_PATH, else our cached build, else a build (about 20 s cold). */
export async function ensureToxiproxy(): Promise<string> {
  const explicit = process.env.TOXIPROXY_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`TOXIPROXY_PATH=${explicit} does not exist`);
    return explicit;
  }
  const cached = cachedToxiproxyPath();
  if (existsSync(cached)) return cached;
  if (spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).status !== 0) {
    throw new Error(`Go is needed to build toxiproxy ${TOXIPROXY_VERSION} (none cached); or set TOXIPROXY_PATH to a toxiproxy-server binary`);
  }
  await buildGoBinary({
    name: 'toxiproxy',
    version: TOXIPROXY_VERSION,
    moduleDir: MODULE_DIR,
    mainPackage: MAIN_PACKAGE,
    ldflags: LDFLAGS,
    target: cached,
    notes: [`about 70 packages, 10-30 s on 2 cores; cached in ${join(cached, '..')} until the pin in tools/toxiproxy changes`],
  });
  return cached;
}
