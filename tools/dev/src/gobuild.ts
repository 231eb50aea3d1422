import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bold, dim, say } from './log.js';

export interface GoBuild {
  /** What the progress lines call it (daprd, sentry, toxiproxy). */
  name: string;
  version: string;
  /** Our Go module that requires the upstream one (tools/daprd, tools/toxiproxy). */
  moduleDir: string;
  mainPackage: string;
  tags?: string;
  ldflags: string;
  /** Where the binary goes (a per-user cache outside the checkout). */
  target: string;
  /** Lines printed before the build: how long it takes, where it is cached. */
  notes: string[];
}

/**
 * Builds a Go binary from the module proxy into the cache, under a lock (a second terminal or CI
 * waits for the first build instead of starting its own), printing how many packages are compiled
 * so far; the binary appears at `target` only when whole.
 */
export async function buildGoBinary(build: GoBuild): Promise<void> {
  const { name, target } = build;
  const dir = join(target, '..');
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.building');
  try {
    mkdirSync(lock);
  } catch {
    // another build (a second terminal, CI) holds the lock: wait for its result
    const age = Date.now() - statSync(lock).mtimeMs;
    if (age < 60 * 60 * 1000) {
      say(`another ${name} build is running (${lock}); waiting for it`);
      while (existsSync(lock)) await new Promise((r) => setTimeout(r, 2_000));
      if (existsSync(target)) return;
    }
    rmSync(lock, { recursive: true, force: true });
    mkdirSync(lock);
  }
  const started = Date.now();
  const tags = build.tags ? ['-tags', build.tags] : [];
  try {
    say(bold(`building ${name} ${build.version}${build.tags ? ` (-tags ${build.tags})` : ''} from the Go module proxy`));
    for (const note of build.notes) say(dim(note));
    say('resolving modules...');
    const list = spawnSync('go', ['list', '-deps', ...tags, build.mainPackage], {
      cwd: build.moduleDir,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (list.status !== 0) throw new Error('go list failed: the modules could not be resolved (see above)');
    const total = list.stdout.split('\n').filter(Boolean).length;
    const tmp = `${target}.tmp-${process.pid}`;
    const child = spawn('go', ['build', '-v', '-trimpath', ...tags, '-ldflags', build.ldflags, '-o', tmp, build.mainPackage], {
      cwd: build.moduleDir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let compiled = 0;
    let lastReport = 0;
    const errors: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (/^[\w.\-/]+$/.test(line)) {
        compiled++;
        const now = Date.now();
        if (now - lastReport > 5_000) {
          lastReport = now;
          const pct = Math.min(99, Math.round((compiled / total) * 100));
          say(`${name} build: ${compiled}/${total} packages (${pct}%), ${Math.round((now - started) / 1000)} s`);
        }
      } else {
        errors.push(line);
      }
    });
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    if (code !== 0) {
      rmSync(tmp, { force: true });
      throw new Error(`${name} build failed:\n${errors.slice(-40).join('\n')}`);
    }
    chmodSync(tmp, 0o755);
    renameSync(tmp, target);
    const size = (statSync(target).size / 1024 / 1024).toFixed(0);
    say(bold(`${name} ${build.version} built in ${Math.round((Date.now() - started) / 1000)} s (${size} MiB): ${target}`));
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
