import { Type } from '@sinclair/typebox';
import { AuthConfigSchema } from '@strata/auth';
import { RehydratePriority } from '@strata/contracts';
import { BaseConfigSchema, PoolSizeSchema, loadConfig } from '@strata/service-kit';

const MiB = 1024 * 1024;

export const ConfigSchema = Type.Composite([
  BaseConfigSchema,
  AuthConfigSchema,
  Type.Object({
    /** Postgres for this service's event streams and read models; from the secret store when unset. */
    DATABASE_URL: Type.Optional(Type.String()),
    /** Connections of this replica's pool (through PgBouncer on AKS: deploy/README.md, "Connection budget"). */
    DATABASE_POOL_SIZE: PoolSizeSchema,
    /** Redis for the shared token revocation list; from the secret store when unset. */
    REDIS_URL: Type.Optional(Type.String()),
    /** Azure Blob Storage (Azurite locally); from the secret store (`blob-connection-string`) when unset. */
    BLOB_CONNECTION_STRING: Type.Optional(Type.String()),
    BLOB_CONTAINER: Type.String({ default: 'strata-files' }),
    /**
     * Largest file one multipart upload or one new version may carry. The sidecars of the gateway
     * and of files allow 4096 MiB per body (dapr.yaml, deploy/); bigger files go through tus.
     */
    MAX_UPLOAD_BYTES: Type.Integer({ minimum: 1, default: 4000 * MiB }),
    /** Largest file a resumable (tus) upload may declare. */
    MAX_RESUMABLE_UPLOAD_BYTES: Type.Integer({ minimum: 1, default: 5 * 1024 * MiB }),
    /** Storage each user may hold, all versions and the trash included. */
    QUOTA_BYTES: Type.Integer({ minimum: 0, default: 10 * 1024 * MiB }),
    /** Size of one staged block: what one upload holds in memory at most (times two while one is in flight). */
    BLOCK_BYTES: Type.Integer({ minimum: 64 * 1024, maximum: 100 * MiB, default: 4 * MiB }),
    /** Unfinished resumable uploads expire after this many hours. */
    UPLOAD_EXPIRY_HOURS: Type.Integer({ minimum: 1, default: 24 }),
    TRASH_RETENTION_DAYS: Type.Number({ minimum: 0, default: 7 }),
    /** Life-cycle tiers by days since the file last changed: hot until COOL, cool until ARCHIVE. */
    TIER_COOL_AFTER_DAYS: Type.Integer({ minimum: 1, default: 31 }),
    TIER_ARCHIVE_AFTER_DAYS: Type.Integer({ minimum: 1, default: 91 }),
    /** How fast Blob Storage brings an archived file back when it is downloaded: Standard (up to 15 h) or High (under 1 h, dearer). */
    REHYDRATE_PRIORITY: Type.Union(RehydratePriority.anyOf, { default: 'Standard' }),
    /** The Retry-After of the 202 a download of an archived file gets, in seconds. */
    REHYDRATE_RETRY_AFTER_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
    /** Files unchanged this long go to the trash (0 = never; the issue suggests 365). */
    LIFECYCLE_DELETE_AFTER_DAYS: Type.Integer({ minimum: 0, default: 0 }),
    /** A blob with no committed event older than this is an orphan (a crash between blob write and append). */
    ORPHAN_GRACE_MINUTES: Type.Integer({ minimum: 1, default: 60 }),
    /** How often the scheduled jobs run (one replica at a time); 0 turns them off. */
    JOBS_INTERVAL_MS: Type.Integer({ minimum: 0, default: 60_000 }),
  }),
]);
export type Config = ReturnType<typeof loadServiceConfig>;

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(ConfigSchema, env);
}
