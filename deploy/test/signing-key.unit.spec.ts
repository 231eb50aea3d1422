/**
 * deploy/scripts/new-signing-key.mjs, which the runbook runs for the first key and for rotations
 * (deploy/README.md, "Data tier: recovery and rotation").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOY_DIR } from '../src/versions.js';

const script = join(DEPLOY_DIR, 'scripts/new-signing-key.mjs');
/** Each case starts Node: seconds on a busy machine. */
const SPAWN_TIMEOUT = 60_000;
const run = (...args: string[]) => JSON.parse(execFileSync(process.execPath, [script, ...args], { encoding: 'utf8' })) as { kid: string; privateJwk: Record<string, string>; createdAt: string };

describe('new-signing-key.mjs', () => {
  it('prints a private P-256 key for ES256 whose kid sorts by the moment it starts signing', () => {
    const before = Date.now();
    const key = run();
    expect(key.privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: key.kid, d: expect.any(String) });
    expect(() => createPublicKey({ key: key.privateJwk, format: 'jwk' })).not.toThrow();
    expect(Date.parse(key.createdAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(key.kid.slice(0, 14)).toBe(key.createdAt.replace(/[-:.TZ]/g, '').slice(0, 14));
  }, SPAWN_TIMEOUT);

  it('dates a rotation key ahead with --signs-in-minutes', () => {
    const before = Date.now();
    const key = run('--signs-in-minutes', '15');
    expect(Date.parse(key.createdAt) - before).toBeGreaterThanOrEqual(15 * 60_000 - 1_000);
    expect(Date.parse(key.createdAt) - before).toBeLessThan(16 * 60_000);
    expect(key.kid.slice(0, 14)).toBe(key.createdAt.replace(/[-:.TZ]/g, '').slice(0, 14));
  }, SPAWN_TIMEOUT);

  it('refuses a count of minutes that is not a whole number of 0 or more', () => {
    for (const bad of ['1.5', '-5']) {
      const result = spawnSync(process.execPath, [script, '--signs-in-minutes', bad], { encoding: 'utf8' });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('usage');
    }
  }, SPAWN_TIMEOUT);
});
