import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The container of file contents: one immutable blob per version, named by ids. */
    blobs: ContainerClient;
  }
}

/**
 * Blob Storage for content streams (staged blocks, range reads, tiers). Deletes go through the
 * Dapr blob binding; reads and writes need streaming and block staging, which the binding lacks.
 */
export const blobPlugin = fp(
  async (app: FastifyInstance, opts: { connectionString: string; container: string }) => {
    const service = BlobServiceClient.fromConnectionString(opts.connectionString, {
      retryOptions: { maxTries: 3 },
      keepAliveOptions: { enable: true },
    });
    const container = service.getContainerClient(opts.container);
    await container.createIfNotExists();
    app.decorate('blobs', container);
    app.addReadinessCheck('blob-storage', async () => {
      const exists = await container.exists();
      return exists ? { ok: true } : { ok: false, reason: `container ${opts.container} is missing` };
    });
  },
  { name: 'files-blob', dependencies: ['strata-health'] },
);
