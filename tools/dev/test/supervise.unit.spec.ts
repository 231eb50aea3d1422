import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, type RestartRecord, Supervised, exitOf, nextDelay } from '../src/supervise.js';
import { unexpectedRestarts } from '../src/test-stack.js';

// Real processes (node -e), with a backoff of milliseconds instead of seconds.
const FAST = { initialMs: 40, maxMs: 160, resetAfterMs: 2_000 };

const node = (script: string) => ({ name: 'proc', command: process.execPath, args: ['-e', script], cwd: tmpdir(), env: process.env, logFile: '/dev/null' });

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (p: Supervised) => p.child.exitCode === null && p.child.signalCode === null;

const started: Supervised[] = [];
function supervise(script: string, policy = FAST) {
  const restarts: RestartRecord[] = [];
  const exits: { code: number | null; signal: string | null; restartInMs: number | undefined }[] = [];
  const pids: number[] = [];
  const proc = new Supervised(
    node(script),
    {
      onStart: (p) => void pids.push(p.child.pid!),
      onExit: ({ code, signal, restartInMs }) => void exits.push({ code, signal, restartInMs }),
      onRestart: (r) => void restarts.push(r),
    },
    policy,
  );
  started.push(proc);
  return { proc, restarts, exits, pids };
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop(500)));
});

describe('the backoff between restarts', () => {
  it('starts at 0.5 s, doubles up to 30 s, and starts over after a minute up', () => {
    const delays: number[] = [];
    let last: number | undefined;
    for (let i = 0; i < 10; i++) delays.push((last = nextDelay(DEFAULT_BACKOFF, last, 1_000)));
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(nextDelay(DEFAULT_BACKOFF, 30_000, 59_999)).toBe(30_000);
    expect(nextDelay(DEFAULT_BACKOFF, 30_000, 60_000)).toBe(500);
  });

  it('names an exit by its signal, else its code', () => {
    expect(exitOf(1, null)).toBe('code 1');
    expect(exitOf(null, 'SIGKILL')).toBe('SIGKILL');
  });
});

describe('a supervised process', () => {
  it('that keeps crashing is restarted with doubling waits, each exit recorded with its code and counted', async () => {
    const { proc, restarts, exits, pids } = supervise('setTimeout(() => process.exit(3), 20)');
    proc.arm();
    await until('four restarts', () => restarts.length >= 4);
    expect(restarts.slice(0, 4).map((r) => [r.count, r.code, r.signal, r.delayMs])).toEqual([
      [1, 3, null, 40],
      [2, 3, null, 80],
      [3, 3, null, 160],
      [4, 3, null, 160],
    ]);
    expect(exits.slice(0, 4).map((e) => e.restartInMs)).toEqual([40, 80, 160, 160]);
    expect(new Set(pids).size).toBe(pids.length);
    expect(proc.restarts).toBe(restarts.length);
  });

  it('killed with SIGKILL comes back as a new process, and the record says SIGKILL', async () => {
    const { proc, restarts, pids } = supervise('setInterval(() => {}, 1000)');
    proc.arm();
    const first = proc.child.pid!;
    process.kill(first, 'SIGKILL');
    await until('a restart', () => restarts.length === 1 && alive(proc));
    expect(restarts[0]).toMatchObject({ name: 'proc', code: null, signal: 'SIGKILL', count: 1, delayMs: 40 });
    expect(proc.child.pid).not.toBe(first);
    expect(pids).toEqual([first, proc.child.pid]);
  });

  it('that crashes takes what it started with it before it is restarted (its process group)', async () => {
    // the leader starts a child in its group, then dies; the child would live on
    const script = "const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log('child ' + c.pid); setTimeout(() => process.kill(process.pid, 'SIGKILL'), 100)";
    const { proc, restarts } = supervise(script, { initialMs: 5_000, maxMs: 5_000, resetAfterMs: 60_000 });
    proc.arm();
    await until('the child', () => proc.tail().some((l) => l.startsWith('child ')));
    const orphan = Number(proc.tail().find((l) => l.startsWith('child '))!.slice(6));
    await until('the exit', () => proc.restartPending);
    await until('the orphan gone', () => {
      try {
        process.kill(orphan, 0);
        return false;
      } catch {
        return true;
      }
    }, 3_000);
    expect(restarts).toEqual([]);
  });

  it('up longer than resetAfterMs starts the backoff over', async () => {
    const { proc, restarts } = supervise('setTimeout(() => process.exit(1), 120)', { initialMs: 30, maxMs: 1_000, resetAfterMs: 100 });
    proc.arm();
    await until('three restarts', () => restarts.length >= 3);
    expect(restarts.slice(0, 3).map((r) => r.delayMs)).toEqual([30, 30, 30]);
  });

  it('is not restarted before it is armed (a failure to start is reported, not retried)', async () => {
    const { proc, restarts, exits } = supervise('process.exit(5)');
    await until('the exit', () => exits.length === 1);
    await sleep(200);
    expect(exits[0]).toMatchObject({ code: 5, restartInMs: undefined });
    expect(restarts).toEqual([]);
    expect(alive(proc)).toBe(false);
  });

  it('stopped is never restarted: the stop is not fought, even by a process that ignores SIGTERM', async () => {
    const { proc, restarts, exits } = supervise("process.on('SIGTERM', () => {}); console.log('deaf'); setInterval(() => {}, 1000)");
    proc.arm();
    await until('the SIGTERM handler', () => proc.tail().includes('deaf'));
    const t0 = Date.now();
    await proc.stop(300);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(proc.child.signalCode).toBe('SIGKILL');
    await sleep(300);
    expect(restarts).toEqual([]);
    expect(exits).toEqual([]);
    expect(alive(proc)).toBe(false);
  });

  it('stopped while a restart waits for its backoff stays down', async () => {
    const { proc, restarts } = supervise('process.exit(2)', { initialMs: 300, maxMs: 300, resetAfterMs: 10_000 });
    // armed in the tick that spawned it: the exit cannot come before
    proc.arm();
    await until('the restart to wait', () => proc.restartPending);
    await proc.stop();
    await sleep(600);
    expect(restarts).toEqual([]);
    expect(proc.restartPending).toBe(false);
    expect(alive(proc)).toBe(false);
  });

  it('disarmed keeps running but is not restarted when it exits', async () => {
    const { proc, restarts } = supervise('setInterval(() => {}, 1000)');
    proc.arm();
    proc.disarm();
    process.kill(proc.child.pid!, 'SIGKILL');
    await until('the exit', () => !alive(proc));
    await sleep(200);
    expect(restarts).toEqual([]);
  });
});

describe('restarts at the end of a test run', () => {
  const record = (name: string): RestartRecord => ({ name, code: null, signal: 'SIGKILL', upForMs: 1, delayMs: 500, count: 1, at: '' });

  it('fail the run unless a test declared each one', () => {
    const restarts = [record('ratelimit'), record('ratelimit:dapr'), record('ratelimit'), record('files')];
    expect(unexpectedRestarts(restarts, ['ratelimit', 'ratelimit:dapr']).map((r) => r.name)).toEqual(['ratelimit', 'files']);
    expect(unexpectedRestarts(restarts, ['ratelimit', 'ratelimit', 'ratelimit:dapr', 'files'])).toEqual([]);
    expect(unexpectedRestarts([], ['files'])).toEqual([]);
  });
});
