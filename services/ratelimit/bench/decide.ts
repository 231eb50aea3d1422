/**
 * How fast a decision is: the Lua script alone (one EVALSHA round trip), the route through
 * `app.inject`, and the route over a real HTTP listener. Prints decisions per second and p50/p99.
 *
 *   npm run bench -w @strata/ratelimit
 *
 * Uses REDIS_URL (default redis://127.0.0.1:6379/0). Every key it writes is unique to the run and
 * expires by itself within a minute; nothing is flushed.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buildServer } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import app from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';
import { compilePolicySet, defaultPolicySet } from '@strata/service-kit/rate-policy';
import { type LimitCheck, SlidingLogLimiter, keyTagOf, limitKey } from '../src/domain/limiter.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const run = randomUUID().slice(0, 8);

interface Result {
  name: string;
  concurrency: number;
  decisions: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `total` calls of `fn`, `concurrency` at a time, timing each. */
async function measure(name: string, total: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<Result> {
  // warm up: JIT, script cache, connections
  await Promise.all(Array.from({ length: Math.min(200, total) }, (_, i) => fn(i)));
  const latencies = new Float64Array(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await fn(i);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort();
  return { name, concurrency, decisions: total, perSecond: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

function print(results: Result[]): void {
  const rows = results.map((r) => [
    r.name,
    String(r.concurrency),
    String(r.decisions),
    Math.round(r.perSecond).toLocaleString('en-US'),
    r.p50.toFixed(3),
    r.p99.toFixed(3),
  ]);
  const header = ['case', 'concurrency', 'decisions', 'decisions/s', 'p50 ms', 'p99 ms'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

async function startApp(): Promise<FastifyInstance> {
  const config = loadServiceConfig({
    PORT: '0',
    APP_ID: 'ratelimit',
    // no sidecar needed: REDIS_URL is given, and the heartbeat's failures are not logged
    DAPR_HTTP_PORT: '1',
    REDIS_URL,
    LOG_LEVEL: 'silent',
    HEARTBEAT_INTERVAL_MS: '3600000',
  });
  const server = await buildServer({ config, app });
  await server.ready();
  return server;
}

const SUBJECTS = 1_000;
const N = Math.round(20_000 * SCALE);

async function main() {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const limiter = new SlidingLogLimiter(redis);
  const policies = compilePolicySet(defaultPolicySet);
  const def = policies.policies.get('default')!.limits[0]!;
  const login = policies.policies.get('auth-login')!.limits;
  // a spread of subjects, so most decisions pass as in real traffic (denials cost the same)
  const single = (i: number): LimitCheck[] => [
    { key: limitKey(def.name, `user:bench-${run}-${i % SUBJECTS}`, { by: 'value' }), limit: def.limit, windowUs: def.windowUs },
  ];
  const pair = (i: number): LimitCheck[] =>
    login.map((l) => ({ key: limitKey(l.name, `bench-${run}-${l.by}-${i % SUBJECTS}`, keyTagOf(policies.policies.get('auth-login')!)), limit: l.limit, windowUs: l.windowUs }));

  const results: Result[] = [];
  results.push(await measure('script: 1 limit', N, 1, (i) => limiter.decide(single(i), 1)));
  results.push(await measure('script: 1 limit', N * 2, 64, (i) => limiter.decide(single(i), 1)));
  results.push(await measure('script: 2 limits (sign-in)', N, 1, (i) => limiter.decide(pair(i), 1)));
  results.push(await measure('script: 2 limits (sign-in)', N * 2, 64, (i) => limiter.decide(pair(i), 1)));

  const server = await startApp();
  const body = (i: number) => ({ routeClass: 'api', subject: { kind: 'user', id: `bench-http-${run}-${i % SUBJECTS}` } });
  const headers = { 'dapr-caller-app-id': 'gateway' };
  const viaInject = async (i: number) => {
    const res = await server.inject({ method: 'POST', url: '/v1/decide', headers, payload: body(i) });
    if (res.statusCode !== 200) throw new Error(`inject answered ${res.statusCode}: ${res.body}`);
  };
  results.push(await measure('route via app.inject', N / 2, 1, viaInject));
  results.push(await measure('route via app.inject', N, 64, viaInject));

  await server.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}/v1/decide`;
  const viaHttp = async (i: number) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body(i)),
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  results.push(await measure('route via HTTP (keep-alive)', N / 2, 1, viaHttp));
  results.push(await measure('route via HTTP (keep-alive)', N, 32, viaHttp));

  await server.close();
  redis.disconnect();

  console.log(`ratelimit decision benchmark, Node ${process.version}, Redis ${REDIS_URL.replace(/\/\/[^@]*@/, '//')}\n`);
  print(results);
}

await main();
