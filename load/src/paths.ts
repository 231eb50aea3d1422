import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** load/ (this file is load/src/paths.ts). */
export const LOAD_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(LOAD_ROOT, '..');
