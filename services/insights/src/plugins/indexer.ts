import { ConfigError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { Indexer } from '../indexer/indexer.js';
import { EXTRACTOR_VERSION } from '../version.js';

declare module 'fastify' {
  interface FastifyInstance {
    indexer: Indexer;
  }
}

/** The indexer, started when the app is ready (INDEX_POLL_MS 0: tests drive `app.indexer.runOnce()`), stopped with it. */
export const indexerPlugin = fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const c = opts.config;
    const extractorVersion = c.INDEX_EXTRACTOR_VERSION ?? EXTRACTOR_VERSION;
    if (extractorVersion < EXTRACTOR_VERSION) {
      throw new ConfigError([`INDEX_EXTRACTOR_VERSION ${extractorVersion} is older than this code's extractor (${EXTRACTOR_VERSION})`]);
    }
    const indexer = new Indexer(app, {
      concurrency: c.INDEX_CONCURRENCY,
      pollMs: c.INDEX_POLL_MS,
      maxBytes: c.INDEX_MAX_BYTES,
      maxPages: c.INDEX_MAX_PAGES,
      timeoutMs: c.INDEX_TIMEOUT_MS,
      workerHeapMb: c.INDEX_WORKER_HEAP_MB,
      ocrMaxPages: c.INDEX_OCR_MAX_PAGES,
      maxAttempts: c.INDEX_MAX_ATTEMPTS,
      extractorVersion,
    });
    app.decorate('indexer', indexer);
    // the operator's view of the index (internal listener only, as every /health/* but the probes)
    app.get('/health/index', async () => indexer.status());
    if (c.INDEX_POLL_MS > 0) app.addHook('onReady', async () => indexer.start());
    app.addHook('onClose', async () => indexer.stop());
  },
  { name: 'insights-indexer', dependencies: ['insights-core', 'strata-metrics', 'strata-dapr'] },
);
