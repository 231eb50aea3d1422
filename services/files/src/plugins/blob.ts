import { ChainedTokenCredential, DefaultAzureCredential, WorkloadIdentityCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient, StorageSharedKeyCredential, type StoragePipelineOptions } from '@azure/storage-blob';
import { Secrets } from '@strata/contracts';
import { waitFor } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type DownloadSigner, accountKeySigner, userDelegationSigner } from '../blob/sas.js';
import type { BlobAccess } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The container of file contents: one immutable blob per version, named by ids. */
    blobs: ContainerClient;
    /** Signs the read-only SAS URLs downloads are redirected to. */
    downloadSigner: DownloadSigner;
  }
}

export interface BlobPluginOptions {
  access: BlobAccess;
  container: string;
  /** The blob endpoint as clients reach it; the endpoint files uses when unset. */
  publicUrl?: string | undefined;
  sasTtlSeconds: number;
}

/**
 * A browser page that follows a download's redirect to Azurite (another origin locally: its own
 * port) reads the answer only if Azurite allows it. Any origin may read, and only GET and HEAD:
 * the SAS in the URL is the credential, not the origin (no cookies are sent to Blob). In deploy/
 * Blob is reached on the UI's own origin (the Application Gateway's /blob path): no CORS at all.
 */
const DOWNLOAD_CORS = {
  allowedOrigins: '*',
  allowedMethods: 'GET,HEAD',
  allowedHeaders: 'range,if-match,if-none-match,if-modified-since,if-unmodified-since',
  exposedHeaders: 'content-disposition,content-length,content-range,content-type,etag,accept-ranges,last-modified',
  maxAgeInSeconds: 600,
};

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
  async (app: FastifyInstance, opts: BlobPluginOptions) => {
    const options: StoragePipelineOptions = { retryOptions: { maxTries: 3 }, keepAliveOptions: { enable: true } };
    let service: BlobServiceClient;
    let signer: DownloadSigner;
    if (opts.access.kind === 'token') {
      service = new BlobServiceClient(opts.access.accountUrl, blobCredential(), options);
      signer = userDelegationSigner(service, { container: opts.container, publicUrl: opts.publicUrl ?? service.url, ttlSeconds: opts.sasTtlSeconds });
    } else {
      // Azurite's development account: from the environment when given (tests), else the secret store
      const connectionString = await app.secrets.read(Secrets.blobConnectionString, opts.access.connectionString);
      service = BlobServiceClient.fromConnectionString(connectionString, options);
      if (!(service.credential instanceof StorageSharedKeyCredential)) {
        throw new Error('the blob connection string names no account key (AccountName, AccountKey): files cannot sign download URLs with it');
      }
      signer = accountKeySigner(service.credential, { container: opts.container, publicUrl: opts.publicUrl ?? service.url, ttlSeconds: opts.sasTtlSeconds });
    }
    const container = service.getContainerClient(opts.container);
    if (opts.access.kind === 'connection-string') {
      // Azurite starting beside the app (or Blob Storage away for a moment) is waited for, not fatal
      await waitFor('Blob Storage', () => container.createIfNotExists(), app.log);
      const properties = await service.getProperties();
      const cors = properties.cors ?? [];
      if (!cors.some((rule) => rule.allowedOrigins === DOWNLOAD_CORS.allowedOrigins && rule.allowedMethods === DOWNLOAD_CORS.allowedMethods)) {
        await service.setProperties({ cors: [...cors, DOWNLOAD_CORS] });
      }
    }
    app.decorate('blobs', container);
    app.decorate('downloadSigner', signer);
    app.addReadinessCheck('blob-storage', async () => {
      const exists = await container.exists();
      return exists ? { ok: true } : { ok: false, reason: `container ${opts.container} is missing` };
    });
  },
  { name: 'files-blob', dependencies: ['strata-health', 'strata-secrets'] },
);
