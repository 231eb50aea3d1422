import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { Jobs } from '../jobs/jobs.js';

declare module 'fastify' {
  interface FastifyInstance {
    jobs: Jobs;
  }
}

/** Runs the scheduled jobs every JOBS_INTERVAL_MS (0: never; tests call app.jobs themselves). */
export const jobsPlugin = fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const jobs = new Jobs(app, opts.config);
    app.decorate('jobs', jobs);
    if (opts.config.JOBS_INTERVAL_MS === 0) return;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<unknown> | undefined;
    let closed = false;
    const tick = () => {
      running = jobs
        .runAll()
        .then((report) => {
          if (report !== 'locked' && Object.values(report).some((n) => n > 0)) app.log.info({ report }, 'scheduled jobs ran');
        })
        .catch((err: unknown) => app.log.warn({ err }, 'scheduled jobs failed; next round retries'))
        .finally(() => {
          running = undefined;
          if (!closed) timer = setTimeout(tick, opts.config.JOBS_INTERVAL_MS);
        });
    };
    app.addHook('onReady', async () => {
      timer = setTimeout(tick, opts.config.JOBS_INTERVAL_MS);
    });
    app.addHook('onClose', async () => {
      closed = true;
      clearTimeout(timer);
      await running;
    });
  },
  { name: 'files-jobs', dependencies: ['files-core', 'files-blob'] },
);
