/**
 * The short versions of `npm run chaos` that run on the shared test stack (load/src/chaos): kill -9
 * of files and of its sidecar during uploads and downloads (restarts declared with expectRestart,
 * so the stack is healed and the run's check of undeclared crashes still holds), every Postgres
 * session of the stack's database terminated twice under uploads, and 50 concurrent renames with
 * one If-Match. The goals are the full scenarios' own: 0 lost, 0 duplicated, 0 500s, 0 hung.
 * The scenarios that stop a server (Postgres restarted, Redis killed or paused, Toxiproxy's
 * latency) need stacks of their own and run in `npm run chaos` only.
 */
import type {} from '@strata/testing';
import { expectRestart } from '@strata/testing/harness';
import { describe, expect, inject, it } from 'vitest';
import type { SystemView } from '../src/chaos/faults.js';
import { terminateBackends } from '../src/chaos/faults.js';
import { renderResult } from '../src/chaos/report.js';
import { concurrentAppends, killDuringUploads, postgresUnderLoad } from '../src/chaos/scenarios.js';

const stack = inject('stack');
const view: SystemView = {
  gatewayUrl: stack.gatewayUrl,
  apps: stack.apps,
  supervisorFile: stack.supervisorFile,
  expectRestart: (name) => expectRestart(stack, name),
};
const log = () => undefined;
const failed = (r: { goals: { ok: boolean; name: string }[] }) => r.goals.filter((g) => !g.ok).map((g) => g.name);

describe('chaos, short versions on the test stack', () => {
  it('kill -9 of files and of its sidecar during uploads: none lost, none twice, no 500, no hang', async () => {
    const r = await killDuringUploads(view, { victims: ['files', 'files:dapr'], uploads: 40, uploadsPerSecond: 4, downloadsPerSecond: 3, users: 2, gapMs: 1_500, log });
    expect(failed(r), renderResult(r)).toEqual([]);
    expect(r.figures.acknowledged, renderResult(r)).toBe(40);
  }, 240_000);

  it("every session of the stack's database terminated twice under uploads: no 500, no exit, none lost", async () => {
    const own = new URL(stack.databaseUrl);
    const database = own.pathname.slice(1);
    const r = await postgresUnderLoad(view, { terminate: () => terminateBackends(stack.databaseUrl, database) }, { short: true, log });
    expect(failed(r), renderResult(r)).toEqual([]);
    expect(r.timeline.some((l) => /terminate_backend.*: [1-9]\d* ended/.test(l)), renderResult(r)).toBe(true);
  }, 180_000);

  it('50 concurrent renames with one If-Match: one wins, 49 are 412', async () => {
    const r = await concurrentAppends(view, { writers: 50, log });
    expect(failed(r), renderResult(r)).toEqual([]);
  }, 60_000);
});
