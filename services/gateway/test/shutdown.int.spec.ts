/**
 * Shutdown with live streams open: on SIGTERM a gateway ends each stream at once with a short
 * `retry:` hint (its clients reconnect to another replica) and exits well within its grace
 * period, instead of waiting out the grace for the streams to close themselves.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import type {} from '@strata/testing';
import { Client } from '@strata/testing/client';
import { freePort } from '@strata/testing/harness';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SHUTDOWN_RETRY_MS } from '../src/plugins/live-events.js';

const stack = inject('stack');
const GRACE_MS = 10_000;

/** A gateway in a process of its own (so that it can be sent SIGTERM), on the stack's gateway sidecar. */
async function spawnGateway(): Promise<{ url: string; child: ChildProcess; exited: Promise<{ code: number | null; at: number }> }> {
  const [port, internalPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/server.ts'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: {
      ...process.env,
      PORT: String(port),
      INTERNAL_PORT: String(internalPort),
      APP_ID: 'gateway',
      DAPR_HTTP_PORT: String(stack.apps.gateway!.daprHttpPort),
      REDIS_URL: stack.redisUrl,
      RATE_LIMIT_ENABLED: 'false',
      HEARTBEAT_INTERVAL_MS: '600000',
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  const deadline = Date.now() + 60_000;
  while ((await fetch(`http://127.0.0.1:${internalPort}/health/ready`).then((r) => r.status, () => 0)) !== 200) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('the gateway is not ready after 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url: `http://127.0.0.1:${port}`, child, exited };
}

/** A live stream read as raw text: what came, and when it ended. */
function openRaw(url: string, token: string): Promise<{ text: () => string; ended: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`the stream answered ${res.statusCode}`));
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      const ended = new Promise<number>((done) => {
        res.once('end', () => done(Date.now()));
        res.once('close', () => done(Date.now()));
      });
      resolve({ text: () => text, ended });
    });
    req.on('error', reject);
    req.end();
  });
}

let running: ChildProcess | undefined;
afterEach(() => {
  if (running?.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
});

describe('gateway shutdown', () => {
  it('ends every open live stream at SIGTERM with a retry hint, and exits well within the grace period', async () => {
    const gateway = await spawnGateway();
    running = gateway.child;
    const [alice, bob] = [await Client.user(stack), await Client.user(stack)];
    const streams = [await openRaw(gateway.url, alice.accessToken!), await openRaw(gateway.url, alice.accessToken!), await openRaw(gateway.url, bob.accessToken!)];
    // every stream is open and has said hello
    for (const s of streams) {
      const deadline = Date.now() + 5_000;
      while (!s.text().includes(': connected')) {
        if (Date.now() > deadline) throw new Error('a stream said nothing');
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    const endedAt = await Promise.all(streams.map((s) => s.ended));
    const { code, at } = await gateway.exited;

    for (const s of streams) {
      // the last thing on the stream: the retry hint with the reason, then the end
      expect(s.text()).toMatch(new RegExp(`retry: ${SHUTDOWN_RETRY_MS}\\nevent: server-closing\\ndata: \\{\\}\\n\\n$`));
    }
    for (const t of endedAt) expect(t - signalled).toBeLessThan(2_000);
    expect(code).toBe(0);
    // an open stream used to hold the process for the whole grace period
    expect(at - signalled).toBeLessThan(GRACE_MS / 3);
  });

  it('answers a stream asked for during shutdown with a 503, not a stream that would hold it', async () => {
    const gateway = await spawnGateway();
    running = gateway.child;
    const user = await Client.user(stack);
    const open = await openRaw(gateway.url, user.accessToken!);
    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    await open.ended;
    // the listener is closed now, or answers 503 for as long as it is closing: either way no stream
    const late = await fetch(`${gateway.url}/api/v1/events`, { headers: { authorization: `Bearer ${user.accessToken!}` }, signal: AbortSignal.timeout(3_000) }).then(
      (r) => r.status,
      () => 0,
    );
    expect([0, 503]).toContain(late);
    const { at } = await gateway.exited;
    expect(at - signalled).toBeLessThan(GRACE_MS / 3);
  });
});
