import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';

export type CheckResult = { ok: true; detail?: string } | { ok: false; reason: string };
export type ReadinessCheck = () => Promise<CheckResult>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Adds a named dependency check to GET /health/ready. */
    addReadinessCheck(name: string, check: ReadinessCheck): void;
    /** Runs every readiness check; used by /health/ready and by tests. */
    readiness(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }>;
  }
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: ReadinessCheck): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check(),
      new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Liveness says the process answers; readiness says its sidecar and its own dependencies answer
 * now. Checks run on every probe, so recovery is seen as soon as a dependency is back.
 */
export const healthPlugin = fp(
  async (app: FastifyInstance) => {
    const checks = new Map<string, ReadinessCheck>();
    let closing = false;
    app.addHook('onClose', async () => {
      closing = true;
    });
    app.decorate('addReadinessCheck', (name: string, check: ReadinessCheck) => {
      checks.set(name, check);
    });
    // what the probes saw, for ReadinessFlapping (deploy/README.md): the last answer and how often it changed
    const registers = app.hasDecorator('metrics') ? [app.metrics] : [];
    const readyGauge = new Gauge({ name: 'health_ready', help: 'The last readiness answer: 1 ready, 0 not ready.', registers });
    const transitions = new Counter({ name: 'health_ready_transitions_total', help: 'Changes of the readiness answer (ready to not ready and back).', registers });
    let last: boolean | undefined;
    app.decorate('readiness', async () => {
      const entries = await Promise.all(
        [...checks].map(async ([name, check]) => [name, await runCheck(check)] as const),
      );
      const results = Object.fromEntries(entries);
      if (closing) results.shutdown = { ok: false, reason: 'shutting down' };
      const ready = Object.values(results).every((r) => r.ok);
      if (last !== undefined && last !== ready) transitions.inc();
      last = ready;
      readyGauge.set(ready ? 1 : 0);
      return { ready, checks: results };
    });

    app.get('/health/live', async () => ({ status: 'ok' }));
    app.get('/health/ready', async (_request, reply) => {
      const { ready, checks: results } = await app.readiness();
      reply.code(ready ? 200 : 503).header('cache-control', 'no-store');
      return { status: ready ? 'ready' : 'not-ready', checks: results };
    });
  },
  { name: 'strata-health' },
);
