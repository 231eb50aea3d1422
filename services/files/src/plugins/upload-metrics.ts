import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by an upload route once the file (or version) it stored is committed: its size. */
    uploadedBytes: number | undefined;
  }
}

/** The routes that store content, and what the metrics call each way in. */
const UPLOAD_ROUTES: Record<string, 'multipart' | 'version' | 'tus'> = {
  'POST /api/v1/files': 'multipart',
  'PUT /api/v1/files/:id/content': 'version',
  'POST /api/v1/uploads': 'tus',
  'PATCH /api/v1/uploads/:id': 'tus',
};

/**
 * Upload success rate and bytes (the seed's "file upload success rate"), from each upload
 * route's answer: a 2xx whose handler committed content is a success (its bytes counted), a 4xx a
 * refusal (too large, over quota, a malformed body), a 5xx a failure. A tus chunk that does not
 * complete its upload is neither.
 */
export const uploadMetricsPlugin = fp(
  async (app: FastifyInstance) => {
    const uploads = new Counter({
      name: 'files_uploads_total',
      help: 'Uploads by way in (multipart, version, tus) and outcome (success, refused: a 4xx, failed: a 5xx).',
      labelNames: ['via', 'outcome'] as const,
      registers: [app.metrics],
    });
    const bytes = new Counter({
      name: 'files_upload_bytes_total',
      help: 'Bytes of the uploads that succeeded, by way in.',
      labelNames: ['via'] as const,
      registers: [app.metrics],
    });
    for (const via of new Set(Object.values(UPLOAD_ROUTES))) {
      for (const outcome of ['success', 'refused', 'failed']) uploads.inc({ via, outcome }, 0);
      bytes.inc({ via }, 0);
    }
    app.decorateRequest('uploadedBytes', undefined);
    app.addHook('onResponse', async (request, reply) => {
      const via = UPLOAD_ROUTES[`${request.method} ${request.routeOptions.url ?? ''}`];
      if (!via) return;
      const status = reply.statusCode;
      if (status >= 500) uploads.inc({ via, outcome: 'failed' });
      else if (status >= 400) uploads.inc({ via, outcome: 'refused' });
      else if (request.uploadedBytes !== undefined) {
        uploads.inc({ via, outcome: 'success' });
        bytes.inc({ via }, request.uploadedBytes);
      }
    });
  },
  { name: 'files-upload-metrics', dependencies: ['strata-metrics'] },
);
