import { Type } from '@sinclair/typebox';
import { AuthConfigSchema } from '@strata/auth';
import { RehydratePriority } from '@strata/contracts';
import { BaseConfigSchema, ConfigError, StoresConfigSchema, loadConfig } from '@strata/service-kit';

const MiB = 1024 * 1024;

export const ConfigSchema = Type.Composite([
  BaseConfigSchema,
  AuthConfigSchema,
  StoresConfigSchema,
  Type.Object({
    /**
     * Blob Storage reached with a token (workload identity on AKS: no account key exists), e.g.
     * https://<account>.blob.core.windows.net; Azurite with OAuth in the production-like profile.
     */
    BLOB_ACCOUNT_URL: Type.Optional(Type.String({ pattern: '^https://' })),
    /**
     * Blob Storage reached with a connection string: Azurite's development account locally. When
     * neither this nor BLOB_ACCOUNT_URL is set, it is read from the secret store
     * (`blob-connection-string`), like the other secrets.
     */
    BLOB_CONNECTION_STRING: Type.Optional(Type.String()),
    /**
     * The blob endpoint as clients reach it, for the SAS URLs of downloads by redirect (the account
     * and container path follow it): Azurite's own address locally (the default: the endpoint files
     * uses), the Application Gateway's `/blob` path in deploy/ (the account itself is private).
     */
    BLOB_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
    /**
     * Whether `GET /files/{id}/content` answers with a redirect to a short-lived read-only SAS URL
     * (true) or streams the bytes itself (false). A request's own `?redirect=` wins.
     */
    DOWNLOAD_REDIRECT: Type.Boolean({ default: true }),
    /** How long a download's SAS URL stays valid, in seconds: at most 5 minutes. */
    DOWNLOAD_SAS_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 300, default: 300 }),
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
    /** Deepest nesting of folders (a folder at the root is at depth 1): deeper is a 422 folder-too-deep. */
    FOLDER_MAX_DEPTH: Type.Integer({ minimum: 1, maximum: 256, default: 32 }),
    /** Most live entries (files and folders) one folder holds: more is a 422 folder-full. The root is not limited. */
    FOLDER_MAX_ENTRIES: Type.Integer({ minimum: 1, default: 10_000 }),
    /** Files (and folders) a folder's trash or restore changes per transaction: each batch is one short transaction. */
    FOLDER_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
    /** A folder operation untouched this long (its process died) is carried on by the jobs. */
    FOLDER_OPERATION_STALE_SECONDS: Type.Integer({ minimum: 1, default: 30 }),
    /**
     * How long DELETE /folders/{id} and POST /folders/{id}/restore wait for their operation
     * before answering 202 (it goes on): well under the gateway's UPSTREAM_HEADERS_TIMEOUT_MS (25 s).
     */
    FOLDER_OPERATION_ANSWER_MS: Type.Integer({ minimum: 0, maximum: 20_000, default: 10_000 }),
    /** Most items one POST /bulk or POST /zip names: more is a 400 before anything changes. */
    BULK_MAX_ITEMS: Type.Integer({ minimum: 1, maximum: 100_000, default: 1_000 }),
    /** Most files and folders one ZIP holds, folders' contents included: more is a 422 zip-too-large. */
    ZIP_MAX_ENTRIES: Type.Integer({ minimum: 1, default: 100_000 }),
    /** How long a link of POST /zip/links may be followed (once): long enough to start a download, too short to share. */
    ZIP_LINK_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 300, default: 60 }),
    /** The furthest ahead a share link may expire (days); a link made without an expiry expires then too. */
    LINK_MAX_EXPIRY_DAYS: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
    /** How long the link token of a password-protected link's unlock lasts (seconds). */
    LINK_UNLOCK_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 86_400, default: 900 }),
    /** Wrong passwords a share link takes within LINK_THROTTLE_WINDOW_SECONDS before every try is refused (429), and from one address over all links. */
    LINK_PASSWORD_TRIES_PER_LINK: Type.Integer({ minimum: 1, default: 5 }),
    LINK_PASSWORD_TRIES_PER_ADDRESS: Type.Integer({ minimum: 1, default: 20 }),
    LINK_THROTTLE_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
    /** How often the scheduled jobs run (one replica at a time); 0 turns them off. */
    JOBS_INTERVAL_MS: Type.Integer({ minimum: 0, default: 60_000 }),
    /** How often a replica looks for account exports to build (besides at once after a request); 0: this replica builds none. */
    EXPORT_POLL_MS: Type.Integer({ minimum: 0, default: 5_000 }),
    /** A build beats this often; one whose beat is older than EXPORT_STALE_SECONDS (its process died) is claimed again. */
    EXPORT_HEARTBEAT_MS: Type.Integer({ minimum: 100, default: 1_000 }),
    EXPORT_STALE_SECONDS: Type.Integer({ minimum: 2, default: 30 }),
    /** Builds of one export before it is failed. */
    EXPORT_MAX_ATTEMPTS: Type.Integer({ minimum: 1, default: 3 }),
    /** How long a built export may be downloaded; then its blob is deleted. */
    EXPORT_TTL_HOURS: Type.Integer({ minimum: 1, default: 168 }),
  }),
]);
export type Config = ReturnType<typeof loadServiceConfig>;

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(ConfigSchema, env);
  return { ...config, blob: blobAccess(config) };
}

/**
 * How files reaches Blob Storage: a token for an account URL, or a connection string (given, or
 * read from the secret store at start-up when `connectionString` is undefined); never both.
 */
export type BlobAccess = { kind: 'token'; accountUrl: string } | { kind: 'connection-string'; connectionString: string | undefined };

function blobAccess(config: { BLOB_ACCOUNT_URL?: string | undefined; BLOB_CONNECTION_STRING?: string | undefined }): BlobAccess {
  if (config.BLOB_ACCOUNT_URL && config.BLOB_CONNECTION_STRING) {
    throw new ConfigError(['BLOB_ACCOUNT_URL and BLOB_CONNECTION_STRING are both set: name one way to Blob Storage (a token for the URL, or the connection string)']);
  }
  if (config.BLOB_ACCOUNT_URL) return { kind: 'token', accountUrl: config.BLOB_ACCOUNT_URL };
  return { kind: 'connection-string', connectionString: config.BLOB_CONNECTION_STRING || undefined };
}
