import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH } from '@strata/testing/chromium';
import { say } from './log.js';

const PACKAGES = ['chromium', 'fonts-liberation'];

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(127));
  });
}

/**
 * Debian's Chromium for the browser tests (test tools cannot download their own browsers here).
 * Installed with apt when missing and we are root; otherwise a clear message says how.
 */
export async function ensureChromium(): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${PACKAGES.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`Chromium is needed for the browser tests and is not at ${CHROMIUM_PATH}. Install it with: sudo sh -c '${command}'`);
  }
  say(`installing Chromium from Debian for the browser tests (${PACKAGES.join(', ')})`);
  if ((await run('apt-get', ['update', '-qq'])) !== 0) throw new Error('apt-get update failed (see above)');
  if ((await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES])) !== 0) {
    throw new Error(`installing ${PACKAGES.join(' ')} failed (see above)`);
  }
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium was installed but ${CHROMIUM_PATH} is missing`);
  return CHROMIUM_PATH;
}
