import { type AppId, AppIds, AppManifests } from '@strata/contracts';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/**
 * Operator views beside the gateway's own probes: which upstream services answer through Dapr
 * service invocation right now, and which instances have announced themselves.
 */
export async function healthRoutes(app: FastifyInstance) {
  // these views name hosts, processes and dependencies: operators only (kubectl port-forward or
  // exec), never through the public entry
  const operatorsOnly = async (request: FastifyRequest) => {
    if (!isLoopback(request.socket.remoteAddress)) throw httpError(404, `No route ${request.method} ${request.url.split('?')[0]}`);
  };

  app.get('/health/upstreams', { onRequest: operatorsOnly }, async (_request, reply) => {
    const upstreams = Object.keys(AppManifests[AppIds.gateway].invokes) as AppId[];
    const results = await Promise.all(
      upstreams.map(async (appId) => {
        const started = performance.now();
        try {
          const res = await app.dapr.invoke(appId, 'health/ready', { timeoutMs: 3_000 });
          const body = (await res.json().catch(() => null)) as unknown;
          return [appId, { ok: res.ok, status: res.status, ms: Math.round(performance.now() - started), body }] as const;
        } catch (error) {
          return [appId, { ok: false, status: 0, error: error instanceof Error ? error.message : String(error) }] as const;
        }
      }),
    );
    const all = Object.fromEntries(results);
    const ok = results.every(([, r]) => r.ok);
    reply.code(ok ? 200 : 503).header('cache-control', 'no-store');
    return { status: ok ? 'ok' : 'degraded', upstreams: all };
  });

  app.get('/health/instances', { onRequest: operatorsOnly }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { instances: await app.serviceInstances() };
  });
}
