/**
 * What the gateway costs: an authenticated GET through the gateway (rate limits on and off),
 * beside the same call straight to the owning service's own port and a bare Fastify hello-world,
 * in one run. Prints requests per second, p50 and p99, and the ratios the issue sets as goals.
 *
 *   npm run bench -w @strata/gateway                      # GET /api/v1/me (sessions)
 *   npm run bench -w @strata/gateway -- /api/v1/files?limit=10
 *
 * It starts a stack of its own (tools/dev startStack: every app with its sidecar, Azurite) on port
 * offset BENCH_PORT_OFFSET (default 15000), Postgres database BENCH_DATABASE (strata_bench_gw) and
 * Redis DB BENCH_REDIS_DB (5; nothing is flushed, every key it writes expires by itself), with a
 * policy file whose limit (100,000 per 5 s) the bench never comes near: it measures what a
 * decision costs, not what a refusal saves. Both gateways are separate processes on the stack gateway's
 * sidecar, identical but for RATE_LIMIT_ENABLED. BENCH_DURATION (s, default 10) and
 * BENCH_CONNECTIONS (default 32) shape each run; autocannon runs in this process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startStack } from '@strata/dev';
import { REPO_ROOT } from '@strata/dev/paths';
import { freePort } from '@strata/testing/harness';

const PATH = process.argv[2] ?? '/api/v1/me';
const OFFSET = Number(process.env.BENCH_PORT_OFFSET ?? 15_000);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const GATEWAY_DIR = join(REPO_ROOT, 'services/gateway');

interface Run {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function node(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, args, { cwd: GATEWAY_DIR, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function measure(name: string, url: string, headers: Record<string, string>): Promise<Run> {
  // warm-up: JIT, connections, caches
  await autocannon({ url, headers, connections: CONNECTIONS, duration: 2 });
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION });
  return {
    name,
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function print(runs: Run[]): void {
  const rows = runs.map((r) => [r.name, Math.round(r.perSecond).toLocaleString('en-US'), r.p50.toFixed(2), r.p99.toFixed(2), String(r.non2xx + r.errors)]);
  const header = ['case', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx/errors'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

async function main() {
  mkdirSync(join(REPO_ROOT, '.strata'), { recursive: true });
  const runDir = mkdtempSync(join(REPO_ROOT, '.strata', 'bench-gateway-'));
  const policies = join(runDir, 'bench-policies.json');
  writeFileSync(
    policies,
    JSON.stringify({
      // far above what one client sends here: leases are taken while half the limit is left, and a
      // limit the bench used up would measure refusals and singles instead of the common case
      policies: [{ name: 'bench', description: 'Far above what the bench sends.', limits: [{ by: 'subject', limit: 100_000, windowSeconds: 5 }] }],
      rules: [{ policy: 'bench' }],
    }),
  );
  // the stack hands its environment to every app: the ratelimit app reads this one
  process.env.RATELIMIT_POLICIES_FILE = policies;
  const stack = await startStack({
    name: 'bench-gateway',
    runDir,
    portOffset: OFFSET,
    database: process.env.BENCH_DATABASE ?? 'strata_bench_gw',
    redisDb: Number(process.env.BENCH_REDIS_DB ?? 5),
    azuriteBlobPort: 10_000 + OFFSET,
    logToFiles: true,
  });
  const children: ChildProcess[] = [];
  try {
    const gatewayApp = stack.apps.get('gateway')!;
    const owner = PATH.startsWith('/api/v1/files') ? 'files' : 'sessions';
    const upstream = stack.apps.get(owner)!;

    // a user of our own, through the stack's gateway
    const email = `bench-${Date.now()}@example.test`;
    const password = 'bench password, long enough';
    const post = (path: string, body: unknown) =>
      fetch(`${stack.gatewayUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const registered = await post('/api/v1/auth/register', { email, password, displayName: 'Bench' });
    if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
    const login = await post('/api/v1/auth/login', { email, password });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const auth = { authorization: `Bearer ${accessToken}` };

    const gateway = async (enabled: boolean) => {
      const [port, internal] = [await freePort(), await freePort()];
      children.push(
        node(['--conditions=development', '--import', 'tsx', 'src/server.ts'], {
          ...process.env,
          PORT: String(port),
          INTERNAL_PORT: String(internal),
          APP_ID: 'gateway',
          DAPR_HTTP_PORT: String(gatewayApp.daprHttpPort),
          REDIS_URL: stack.redisUrl,
          LOG_LEVEL: 'warn',
          HEARTBEAT_INTERVAL_MS: '600000',
          RATE_LIMIT_ENABLED: String(enabled),
        }),
      );
      await waitFor(`http://127.0.0.1:${internal}/health/ready`);
      return port;
    };
    const [on, off, hello] = await Promise.all([gateway(true), gateway(false), freePort()]);
    children.push(
      node(
        [
          '--input-type=module',
          '-e',
          `import Fastify from 'fastify'; const app = Fastify(); app.get('/', async () => ({ hello: 'world' })); await app.listen({ port: ${hello}, host: '127.0.0.1' });`,
        ],
        process.env,
      ),
    );
    await waitFor(`http://127.0.0.1:${hello}/`);

    const probe = await fetch(`http://127.0.0.1:${on}${PATH}`, { headers: auth });
    const cache = probe.headers.get('x-cache');
    const runs: Run[] = [];
    runs.push(await measure('bare Fastify hello-world', `http://127.0.0.1:${hello}/`, {}));
    // as its sidecar calls it: with the app token, which an app other than the gateway asks of every call
    runs.push(await measure(`${owner} directly (its own port)`, `http://127.0.0.1:${upstream.port}${PATH}`, { ...auth, 'dapr-api-token': stack.appApiToken }));
    // off and on twice, interleaved, averaged: the machine's load drifts during a run
    const rounds: Run[][] = [[], []];
    for (let i = 0; i < 2; i++) {
      rounds[0]!.push(await measure('gateway, rate limits off', `http://127.0.0.1:${off}${PATH}`, auth));
      rounds[1]!.push(await measure('gateway, rate limits on', `http://127.0.0.1:${on}${PATH}`, auth));
    }
    for (const pair of rounds) {
      const mean = (pick: (r: Run) => number) => pair.reduce((sum, r) => sum + pick(r), 0) / pair.length;
      runs.push({
        name: `${pair[0]!.name} (mean of ${pair.length})`,
        perSecond: mean((r) => r.perSecond),
        p50: mean((r) => r.p50),
        p99: mean((r) => r.p99),
        non2xx: mean((r) => r.non2xx),
        errors: mean((r) => r.errors),
      });
    }
    const [helloRun, direct, limitsOff, limitsOn] = runs as [Run, Run, Run, Run];

    console.log(
      `\ngateway benchmark: GET ${PATH} (${owner}), ` +
        `${CONNECTIONS} connections, ${DURATION} s each, Node ${process.version}; the gateway answered with x-cache: ${cache ?? 'none'}\n`,
    );
    print(runs);
    const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
    const goals = [
      [`gateway (limits on) / direct throughput: ${(ratio(limitsOn.perSecond, direct.perSecond) * 100).toFixed(0)}%`, ratio(limitsOn.perSecond, direct.perSecond) >= 0.4, 'goal ≥ 40%'],
      [`limits on / limits off throughput: ${(ratio(limitsOn.perSecond, limitsOff.perSecond) * 100).toFixed(0)}%`, ratio(limitsOn.perSecond, limitsOff.perSecond) >= 0.85, 'goal ≥ 85%'],
      [`p50 limits on − off: ${(limitsOn.p50 - limitsOff.p50).toFixed(2)} ms`, limitsOn.p50 - limitsOff.p50 < 1, 'goal < 1 ms'],
      [`direct / hello-world throughput: ${(ratio(direct.perSecond, helloRun.perSecond) * 100).toFixed(0)}%`, true, 'for scale'],
    ] as const;
    console.log('');
    for (const [text, met, goal] of goals) console.log(`${met ? 'met    ' : 'MISSED '} ${text} (${goal})`);
    const failures = runs.filter((r) => r.non2xx + r.errors > 0);
    if (failures.length > 0) console.log(`\nnon-2xx answers or errors in: ${failures.map((r) => r.name).join(', ')}`);
  } finally {
    for (const child of children) if (child.pid !== undefined) child.kill('SIGTERM');
    await stack.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

await main();
