import { ChainedTokenCredential, DefaultAzureCredential, WorkloadIdentityCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { waitFor } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { BlobAccess } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The container of file contents: one immutable blob per version, named by ids. */
    blobs: ContainerClient;
  }
}

/**
 * The token credential files uses for Blob Storage: workload identity first (the federated
 * service-account token AKS's webhook mounts, as the files identity), then whatever
 * DefaultAzureCredential finds (a managed identity, a developer's `az login`). No account key.
 */
export function blobCredential(): ChainedTokenCredential {
  return new ChainedTokenCredential(new WorkloadIdentityCredential(), new DefaultAzureCredential());
}

/**
 * Blob Storage for content streams (staged blocks, range reads, tiers). Deletes go through the
 * Dapr blob binding; reads and writes need streaming and block staging, which the binding lacks.
 * With a token the container is the infrastructure's (deploy/infra creates it; the files identity
 * may not need to); with Azurite's connection string files creates it itself.
 */
export const blobPlugin = fp(
  async (app: FastifyInstance, opts: { access: BlobAccess; container: string }) => {
    const options: StoragePipelineOptions = { retryOptions: { maxTries: 3 }, keepAliveOptions: { enable: true } };
    const service =
      opts.access.kind === 'token'
        ? new BlobServiceClient(opts.access.accountUrl, blobCredential(), options)
        : BlobServiceClient.fromConnectionString(opts.access.connectionString, options);
    const container = service.getContainerClient(opts.container);
    // Azurite starting beside the app (or Blob Storage away for a moment) is waited for, not fatal
    if (opts.access.kind === 'connection-string') await waitFor('Blob Storage', () => container.createIfNotExists(), app.log);
    app.decorate('blobs', container);
    app.addReadinessCheck('blob-storage', async () => {
      const exists = await container.exists();
      return exists ? { ok: true } : { ok: false, reason: `container ${opts.container} is missing` };
    });
  },
  { name: 'files-blob', dependencies: ['strata-health'] },
);
