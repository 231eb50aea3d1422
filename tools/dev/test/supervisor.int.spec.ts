/**
 * The launcher's supervisor on the test stack itself: kill -9 of an app, then of its sidecar,
 * and each comes back by itself, counted, answering its probes and its invocations again.
 * ratelimit is the victim: the stack's gateway runs with limits off, so no other test file
 * (they run one after the other) depends on it.
 */
import type {} from '@strata/testing';
import { expectRestart, restartsOf, supervisorState } from '@strata/testing/harness';
import { describe, expect, inject, it } from 'vitest';

const stack = inject('stack');
const ratelimit = stack.apps.ratelimit!;
const gateway = stack.apps.gateway!;

const status = (url: string) => fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, () => 0);

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kills one of the stack's processes as a crash would (SIGKILL, no clean-up), declaring the restart it expects. */
function crash(name: string): number {
  const state = supervisorState(stack);
  expect(state.supervise, 'these tests need the supervisor on (STRATA_TEST_SUPERVISE=0 turns it off)').toBe(true);
  const { pid, running } = state.processes[name]!;
  expect(running).toBe(true);
  expectRestart(stack, name);
  process.kill(pid!, 'SIGKILL');
  return pid!;
}

describe('the launcher supervises the stack', () => {
  it('restarts an app killed with SIGKILL: counted, recorded with its signal, ready again', async () => {
    const before = restartsOf(stack, 'ratelimit');
    const pid = crash('ratelimit');
    await until('the restart', () => restartsOf(stack, 'ratelimit') === before + 1, 15_000);
    const state = supervisorState(stack);
    expect(state.processes.ratelimit!.pid).not.toBe(pid);
    expect(state.restarts.at(-1)).toMatchObject({ name: 'ratelimit', signal: 'SIGKILL', code: null, count: before + 1, delayMs: 500 });
    const tookMs = await until('ratelimit ready again', async () => (await status(`http://127.0.0.1:${ratelimit.internalPort}/health/ready`)) === 200, 60_000);
    // through Dapr too: the gateway's sidecar reaches the new process (once its connection to the dead one is dropped)
    await until('invocations through the gateway sidecar', async () => (await status(`http://127.0.0.1:${gateway.daprHttpPort}/v1.0/invoke/ratelimit/method/health/live`)) === 200, 30_000);
    expect(tookMs).toBeLessThan(60_000);
  });

  it('restarts a sidecar killed with SIGKILL, and its app is ready again through it', async () => {
    const before = restartsOf(stack, 'ratelimit:dapr');
    const appRestarts = restartsOf(stack, 'ratelimit');
    const pid = crash('ratelimit:dapr');
    await until('the restart', () => restartsOf(stack, 'ratelimit:dapr') === before + 1, 15_000);
    expect(supervisorState(stack).processes['ratelimit:dapr']!.pid).not.toBe(pid);
    await until('the sidecar healthy again', async () => (await status(`http://127.0.0.1:${ratelimit.daprHttpPort}/v1.0/healthz`)) === 204, 60_000);
    await until('ratelimit ready again', async () => (await status(`http://127.0.0.1:${ratelimit.internalPort}/health/ready`)) === 200, 60_000);
    await until('invocations through it', async () => (await status(`http://127.0.0.1:${gateway.daprHttpPort}/v1.0/invoke/ratelimit/method/health/live`)) === 200, 30_000);
    // the app itself was not restarted for its sidecar's sake
    expect(restartsOf(stack, 'ratelimit')).toBe(appRestarts);
  });
});
