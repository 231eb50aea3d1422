import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH } from '@strata/testing/chromium';
import { say } from './log.js';

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(127));
  });
}

/** A program the tests need from Debian's packages, and what it is for. */
export interface DebianTool {
  /** What the tests use it for, in the progress line and the error. */
  purpose: string;
  /** The executable that shows it is installed. */
  binary: string;
  packages: string[];
}

export const CHROMIUM: DebianTool = { purpose: 'the browser tests', binary: CHROMIUM_PATH, packages: ['chromium', 'fonts-liberation'] };
/** A real reverse proxy in front of the gateway, configured as the Application Gateway forwards. */
export const NGINX: DebianTool = { purpose: 'the trusted-proxy tests', binary: process.env.STRATA_NGINX_PATH ?? '/usr/sbin/nginx', packages: ['nginx'] };
/** The production-like profile's transaction pooler in front of Postgres (as Azure's PgBouncer). */
export const PGBOUNCER: DebianTool = {
  purpose: 'the production-like profile (PgBouncer)',
  binary: process.env.STRATA_PGBOUNCER_PATH ?? '/usr/sbin/pgbouncer',
  packages: ['pgbouncer'],
};
/** The production-like profile's Redis Cluster (three masters over TLS). */
/** actionlint runs it on every `run:` script of the workflows (deploy/test/pipelines.unit.spec.ts). */
export const SHELLCHECK: DebianTool = { purpose: 'the workflow checks', binary: process.env.STRATA_SHELLCHECK_PATH ?? '/usr/bin/shellcheck', packages: ['shellcheck'] };

export const REDIS_SERVER: DebianTool = {
  purpose: 'the production-like profile (Redis Cluster)',
  binary: process.env.STRATA_REDIS_SERVER_PATH ?? '/usr/bin/redis-server',
  packages: ['redis-server', 'redis-tools'],
};

/**
 * Installs what the tests need from Debian when it is missing and we are root (test tools cannot
 * download their own binaries here); otherwise a clear message says how. One apt run for all.
 */
export async function ensureDebianTools(tools: DebianTool[]): Promise<void> {
  const missing = tools.filter((t) => !existsSync(t.binary));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.flatMap((t) => t.packages))];
  const command = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  const what = missing.map((t) => `${t.binary} (${t.purpose})`).join(', ');
  if (process.getuid?.() !== 0) throw new Error(`the tests need ${what}. Install it with: sudo sh -c '${command}'`);
  say(`installing from Debian for ${missing.map((t) => t.purpose).join(' and ')}: ${packages.join(', ')}`);
  if ((await run('apt-get', ['update', '-qq'])) !== 0) throw new Error('apt-get update failed (see above)');
  if ((await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages])) !== 0) {
    throw new Error(`installing ${packages.join(' ')} failed (see above)`);
  }
  const still = missing.filter((t) => !existsSync(t.binary));
  if (still.length > 0) throw new Error(`installed ${packages.join(' ')}, but ${still.map((t) => t.binary).join(', ')} is still missing`);
}
