import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { Exports } from '../exports.js';

declare module 'fastify' {
  interface FastifyInstance {
    exports: Exports;
  }
}

/** The account exports' builder (EXPORT_POLL_MS 0: this replica takes requests but builds none). */
export const exportsPlugin = fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const exports = new Exports(app, opts.config);
    app.decorate('exports', exports);
    if (opts.config.EXPORT_POLL_MS === 0) return;
    app.addHook('onReady', async () => exports.start());
    app.addHook('onClose', async () => exports.stop());
  },
  { name: 'files-exports' },
);
