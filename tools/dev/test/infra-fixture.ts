/**
 * What the stand-ins' tests share: a folder of their own under .strata (certificates included),
 * a PartContext whose logs go there, and ports nothing listens on.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PartContext } from '../src/infra/part.js';
import { type StackTls, ensureStackTls } from '../src/infra/tls.js';
import { REPO_ROOT } from '../src/paths.js';
import { freePort } from '@strata/testing/harness';
import type { Managed } from '../src/proc.js';

export interface InfraFixture {
  dir: string;
  tls: StackTls;
  ctx: PartContext;
  processes: Managed[];
  /** Removes the folder unless STRATA_KEEP_TEST_LOGS is set. */
  cleanup(): void;
}

export function infraFixture(name: string): InfraFixture {
  mkdirSync(join(REPO_ROOT, '.strata'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.strata', `test-${name}-`));
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const processes: Managed[] = [];
  return {
    dir,
    tls: ensureStackTls(join(dir, 'tls')),
    ctx: { logDir, track: (p) => void processes.push(p) },
    processes,
    cleanup: () => {
      if (!process.env.STRATA_KEEP_TEST_LOGS) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `n` distinct ports nothing listens on now. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
