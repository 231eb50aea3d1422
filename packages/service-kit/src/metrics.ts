import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

/**
 * The cores this process may use: its cgroup's CPU limit (cgroup v2 cpu.max, else v1's CFS quota),
 * else the machine's cores. HighCPUUsage divides the CPU used by it, as the seed's "cpu_usage" means.
 */
export function cpuLimitCores(read = (path: string) => readFileSync(path, 'utf8')): number {
  const attempt = (f: () => number | undefined) => {
    try {
      return f();
    } catch {
      return undefined;
    }
  };
  const v2 = attempt(() => {
    const [quota, period] = read('/sys/fs/cgroup/cpu.max').trim().split(/\s+/);
    return quota === 'max' || !quota || !period ? undefined : Number(quota) / Number(period);
  });
  const v1 = attempt(() => {
    const quota = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us').trim());
    const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us').trim());
    return quota > 0 && period > 0 ? quota / period : undefined;
  });
  const limit = v2 ?? v1;
  return limit !== undefined && Number.isFinite(limit) && limit > 0 ? limit : availableParallelism();
}

/**
 * Prometheus metrics at GET /metrics: process defaults plus request counts and latencies by
 * method, route pattern (never the raw URL, which would explode cardinality) and status.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, opts: { appId: string }) => {
    const registry = new Registry();
    registry.setDefaultLabels({ app: opts.appId });
    collectDefaultMetrics({ register: registry });
    const cores = cpuLimitCores();
    new Gauge({
      name: 'process_cpu_limit_cores',
      help: "The cores this process may use (its container's CPU limit, else the machine's).",
      registers: [registry],
    }).set(cores);
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route and status.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency in seconds, by method, route and status.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    app.decorate('metrics', registry);
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      const labels = { method: request.method, route, status: String(reply.statusCode) };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
    });
    app.get('/metrics', async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'strata-metrics' },
);
