import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildGoBinary } from './gobuild.js';
import { warn } from './log.js';
import { REPO_ROOT, cacheDir } from './paths.js';

export const DAPR_VERSION = '1.18.3';
/** allcomponents: the sqlite name resolver (and the Conversation API components) are only there. */
export const DAPR_BUILD_TAGS = 'allcomponents';
const MODULE_DIR = join(REPO_ROOT, 'tools', 'daprd');
const MIN_GO = [1, 26, 6] as const;
/** Without the version flags the binary calls itself "edge" and its logs say ver=unknown. */
const LDFLAGS =
  `-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=${DAPR_VERSION} ` +
  `-X github.com/dapr/kit/logger.DaprVersion=${DAPR_VERSION}`;

/** A hash of everything that decides the binary: the module files, the shim and the tags. */
function pinHash(): string {
  const hash = createHash('sha256');
  const files = ['go.mod', 'go.sum', ...readdirSync(join(MODULE_DIR, 'avroshim')).map((f) => join('avroshim', f))];
  for (const f of files.sort()) hash.update(f).update(readFileSync(join(MODULE_DIR, f)));
  hash.update(DAPR_BUILD_TAGS).update(LDFLAGS);
  return hash.digest('hex').slice(0, 12);
}

/** A binary of the pinned Dapr release, built from its Go module by our module in tools/daprd. */
interface DaprBinary {
  name: 'daprd' | 'sentry';
  mainPackage: string;
  /** Where an installed Dapr keeps it (`dapr init` puts binaries in ~/.dapr/bin). */
  installed: string;
  /** The variable that points at a binary of one's own instead. */
  pathEnv: string;
  /** Whether `--version` answers (daprd's does; Sentry has no such flag, its cached path names the version). */
  hasVersionFlag: boolean;
}

const DAPRD: DaprBinary = { name: 'daprd', mainPackage: 'github.com/dapr/dapr/cmd/daprd', installed: join(homedir(), '.dapr', 'bin', 'daprd'), pathEnv: 'DAPRD_PATH', hasVersionFlag: true };
/**
 * Dapr's certificate authority: the production-like profile runs it for mTLS between sidecars
 * (accessControl reads the caller's identity from it). Same module and pin as daprd, so it shares
 * the module download and most of the compiled packages (seconds once daprd is built).
 */
const SENTRY: DaprBinary = { name: 'sentry', mainPackage: 'github.com/dapr/dapr/cmd/sentry', installed: join(homedir(), '.dapr', 'bin', 'sentry'), pathEnv: 'DAPR_SENTRY_PATH', hasVersionFlag: false };

function cachedPath(binary: DaprBinary): string {
  return join(cacheDir(), binary.name, `${DAPR_VERSION}-${pinHash()}`, binary.name);
}

export function cachedDaprdPath(): string {
  return cachedPath(DAPRD);
}

function versionOf(binary: string): string | undefined {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

/**
 * Finds a Dapr binary to run: its variable (DAPRD_PATH, DAPR_SENTRY_PATH) when set, then an
 * installed Dapr's, then our cached build; builds it from the Go module proxy when none is there.
 */
async function ensureDaprBinary(binary: DaprBinary): Promise<string> {
  const explicit = process.env[binary.pathEnv];
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`${binary.pathEnv}=${explicit} does not exist`);
    return explicit;
  }
  if (existsSync(binary.installed)) {
    if (!binary.hasVersionFlag) return binary.installed;
    const version = versionOf(binary.installed);
    if (version) {
      if (version !== DAPR_VERSION) warn(`using installed ${binary.name} ${version} from ${binary.installed} (Strata pins ${DAPR_VERSION})`);
      return binary.installed;
    }
  }
  const cached = cachedPath(binary);
  if (existsSync(cached) && (!binary.hasVersionFlag || versionOf(cached) === DAPR_VERSION)) return cached;
  await buildDaprBinary(binary, cached);
  return cached;
}

/** The daprd to run (see ensureDaprBinary). */
export function ensureDaprd(): Promise<string> {
  return ensureDaprBinary(DAPRD);
}

/** The Sentry to run, built beside daprd when none is installed. */
export function ensureSentry(): Promise<string> {
  return ensureDaprBinary(SENTRY);
}

function checkGo(binary: DaprBinary): void {
  const out = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) {
    throw new Error(
      `Go is needed to build ${binary.name} ${DAPR_VERSION} (none in ~/.dapr/bin and none cached). ` +
        `Install Go ${MIN_GO.join('.')} or newer, or set ${binary.pathEnv} to a ${binary.name} binary.`,
    );
  }
  const match = /go(\d+)\.(\d+)(?:\.(\d+))?/.exec(out.stdout.trim());
  const have = match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > MIN_GO[i]!) return;
    if ((have[i] ?? 0) < MIN_GO[i]!) {
      throw new Error(`Dapr ${DAPR_VERSION} needs Go ${MIN_GO.join('.')} or newer; found ${out.stdout.trim()}`);
    }
  }
}

/** Builds daprd into the cache, printing how many packages are compiled so far. */
export function buildDaprd(target: string): Promise<void> {
  return buildDaprBinary(DAPRD, target);
}

async function buildDaprBinary(binary: DaprBinary, target: string): Promise<void> {
  checkGo(binary);
  await buildGoBinary({
    name: binary.name,
    version: DAPR_VERSION,
    moduleDir: MODULE_DIR,
    mainPackage: binary.mainPackage,
    tags: DAPR_BUILD_TAGS,
    ldflags: LDFLAGS,
    target,
    notes: [
      'a first build downloads ~1 GB of modules and compiles ~2,900 packages (daprd): 5-10 minutes on 2 cores; what an earlier build compiled is reused',
      `the binary is cached in ${join(target, '..')} and reused until the pin in tools/daprd changes`,
    ],
  });
}
