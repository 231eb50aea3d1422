import { describingAuth, tokenAuth } from '@strata/auth';
import { AppIds, BLOB_CONTAINER, Topics } from '@strata/contracts';
import { type Clock, describeApi, eventRelayPlugin, openapiPlugin, platformPlugin, registerStores } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { blobPlugin } from './plugins/blob.js';
import { corePlugin } from './plugins/core.js';
import { exportsPlugin } from './plugins/exports.js';
import { jobsPlugin } from './plugins/jobs.js';
import { uploadMetricsPlugin } from './plugins/upload-metrics.js';
import { toPublished } from './published.js';
import { accountRoutes } from './routes/account.js';
import { bulkRoutes } from './routes/bulk.js';
import { contentRoutes } from './routes/content.js';
import { exportRoutes } from './routes/exports.js';
import { fileRoutes } from './routes/files.js';
import { folderRoutes } from './routes/folders.js';
import { grantRoutes } from './routes/grants.js';
import { linkRoutes } from './routes/links.js';
import { shareRoutes } from './routes/shares.js';
import { internalRoutes } from './routes/internal.js';
import { trashRoutes } from './routes/trash.js';
import { uploadRoutes } from './routes/uploads.js';
import { versionRoutes } from './routes/versions.js';

const FILES_TITLE = 'Strata files';

export interface FilesOptions {
  config: Config;
  /** Tests drive time (trash retention, tiers, orphans) with their own clock. */
  clock?: Clock;
}

/** The files service as a plugin: platform first, then its resources, then its routes. */
export default async function files(app: FastifyInstance, opts: FilesOptions) {
  const { config } = opts;
  await app.register(platformPlugin, { config, ...(opts.clock ? { clock: opts.clock } : {}) });
  const { directDatabaseUrl } = await registerStores(app, config);
  await app.register(blobPlugin, {
    access: config.blob,
    container: config.BLOB_CONTAINER ?? BLOB_CONTAINER,
    publicUrl: config.BLOB_PUBLIC_URL,
    sasTtlSeconds: config.DOWNLOAD_SAS_TTL_SECONDS,
  });
  await app.register(openapiPlugin, { title: FILES_TITLE });
  await app.register(corePlugin);
  await app.register(
    eventRelayPlugin({ store: app.store, topic: Topics.fileEvents, source: `strata/${AppIds.files}`, connectionString: directDatabaseUrl, toPublished }),
  );
  await app.register(jobsPlugin, { config });
  await app.register(exportsPlugin, { config });
  await app.register(tokenAuth, { config });
  await app.register(uploadMetricsPlugin);
  await app.register(filesApi, { config });
  await app.register(internalRoutes);
}

/** The public API: every route with its schema, which is what the OpenAPI document describes. */
export async function filesApi(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  await app.register(fileRoutes, { config });
  await app.register(contentRoutes, { config });
  await app.register(trashRoutes, { config });
  await app.register(folderRoutes, { config });
  await app.register(bulkRoutes, { config });
  await app.register(accountRoutes, { config });
  await app.register(grantRoutes);
  await app.register(uploadRoutes, { config });
  await app.register(versionRoutes);
  await app.register(exportRoutes, { config });
  await app.register(shareRoutes);
  await app.register(linkRoutes, { config });
}

/** This service's part of the OpenAPI document, built from the route schemas alone (npm run generate-client). */
export const describeFiles = (config: Config) =>
  describeApi({ title: FILES_TITLE, prepare: async (api) => void (await api.register(describingAuth)), routes: async (api) => void (await api.register(filesApi, { config })) });
