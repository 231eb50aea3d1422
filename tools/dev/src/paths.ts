import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is tools/dev/src/paths.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Per-user cache outside the checkout: a fresh clone (CI) finds the daprd build there. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'strata');
}

/** Local runtime state of a stack (Azurite data, generated secrets, logs); git-ignored. */
export function runDir(stack: string): string {
  return join(REPO_ROOT, '.strata', stack);
}
