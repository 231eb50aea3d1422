import { type Static, Type } from '@sinclair/typebox';
import { RehydratePriority } from '@strata/contracts';
export { problems } from '@strata/service-kit';


const Timestamp = Type.String({ format: 'date-time' });

/** A moment of the past (time travel); checked by `parseAsOf`, which says what it takes. */
export const AsOf = Type.String({
  maxLength: 64,
  description:
    'Show the drive as it was at this moment, from the event log: an RFC 3339 timestamp with an offset (2026-12-01T09:30:00Z), read to the millisecond. A moment after now is now; one before the account existed shows nothing. Anything else is a 400 invalid-as-of.',
});
const AsOfShown = Type.Optional(Type.String({ format: 'date-time', description: 'With ?asOf=: the moment shown (a moment after now is now)' }));

/**
 * An id as this API gives them out: a UUID in its canonical lower-case form. `format: uuid`
 * alone would also take `urn:uuid:...` (which Postgres refuses) and upper case (which names
 * another event stream): the pattern makes anything else a 400 before it reaches the database.
 */
export const Id = Type.String({ format: 'uuid', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });

export const FileInfo = Type.Object(
  {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  contentType: Type.String({ description: 'Sniffed from the bytes; what the client declared is ignored' }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  version: Type.Integer({ minimum: 1, description: 'Number of the latest content version' }),
  revision: Type.Integer({ minimum: 1, description: 'Changes with every change of the file; GET sends it as the ETag, PATCH takes it in If-Match' }),
  tier: Type.String({ description: "The latest version's storage tier: Hot, Cool (after 31 days unchanged) or Archive (after 91: a download starts its rehydration)" }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  rehydrating: Type.Boolean({ description: 'Archived content is being brought back to the hot tier (a download answered 202); false again once it can be read' }),
  rehydrationRequestedAt: Type.Union([Timestamp, Type.Null()], { description: 'Since when it is being brought back' }),
  folderId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The folder it is in; null at the root' }),
  starred: Type.Boolean(),
  },
  { $id: 'FileInfo' },
);
export type FileInfo = Static<typeof FileInfo>;

export const TrashedFile = Type.Composite([FileInfo, Type.Object({ trashedAt: Timestamp, purgeAt: Timestamp })], { $id: 'TrashedFile' });

export const FileIdParams = Type.Object({ id: Id });

export const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 1000 })),
    // names never hold control characters (and Postgres text cannot hold NUL): such a search is refused
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\x00-\\x1f\\x7f]+$', description: 'Part of the name, case-insensitive' })),
    sort: Type.Union(
      ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'size', '-size'].map((s) => Type.Literal(s)),
      { default: '-updatedAt' },
    ),
    folder: Type.Optional(Type.Union([Type.Literal('root'), Id], { description: "Only the files in this folder (`root`: outside every folder); all of them when absent" })),
    asOf: Type.Optional(AsOf),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

const SortKeys = ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'size', '-size'];
/** A folder id as this API takes it, or null for the root. */
const FolderRef = Type.Union([Id, Type.Null()]);

export const FolderInfo = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    parentId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The folder it is in; null at the root' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    revision: Type.Integer({ minimum: 1, description: 'Changes with every change of the folder itself; GET sends it as the ETag, PATCH takes it in If-Match' }),
    starred: Type.Boolean(),
    pending: Type.Union([Type.Literal('trash'), Type.Literal('restore'), Type.Null()], {
      description:
        'A trash or restore of the folder with everything inside that is still under way (it goes in batches): until it is null, some of what is inside may be in the trash and some not',
    }),
  },
  { $id: 'FolderInfo' },
);
export const TrashedFolder = Type.Composite([FolderInfo, Type.Object({ trashedAt: Timestamp })], { $id: 'TrashedFolder' });
export const TrashedFolderList = Type.Object({ items: Type.Array(TrashedFolder), nextCursor: Type.Union([Type.String(), Type.Null()]) }, { $id: 'TrashedFolderList' });

export const FolderIdParams = Type.Object({ id: Id });
export const ChildrenParams = Type.Object({ id: Type.Union([Type.Literal('root'), Id], { description: 'A folder id, or `root`' }) });

export const FolderName = Type.String({ minLength: 1, maxLength: 1024 });
export const CreateFolderBody = Type.Object({ name: FolderName, parentId: Type.Optional(FolderRef) }, { additionalProperties: false });
export const UpdateFolderBody = Type.Object(
  { name: Type.Optional(FolderName), parentId: Type.Optional(FolderRef) },
  { additionalProperties: false, minProperties: 1, description: 'A new name, a new parent (null: the root), or both' },
);

export const ChildrenQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 1000 })),
    sort: Type.Union(SortKeys.map((s) => Type.Literal(s)), { default: 'name', description: 'Folders come first, then files; folders go by name when files go by size' }),
    asOf: Type.Optional(AsOf),
  },
  { additionalProperties: false },
);

const FolderEntry = Type.Composite([Type.Object({ kind: Type.Literal('folder') }), FolderInfo]);
const FileEntry = Type.Composite([Type.Object({ kind: Type.Literal('file') }), FileInfo]);
export const Entry = Type.Union([FolderEntry, FileEntry], { $id: 'Entry' });
export const Breadcrumb = Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String() });

export const Children = Type.Object(
  {
    folder: Type.Union([FolderInfo, Type.Null()], { description: 'The folder listed; null for the root' }),
    breadcrumbs: Type.Array(Breadcrumb, { description: 'From the top of the drive down to the folder itself; empty for the root' }),
    items: Type.Array(Entry),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
    asOf: AsOfShown,
  },
  { $id: 'FolderChildren' },
);
export const EntryList = Type.Object({ items: Type.Array(Entry), nextCursor: Type.Union([Type.String(), Type.Null()]) }, { $id: 'EntryList' });

export const RestoreQuery = Type.Object(
  {
    onClash: Type.Union([Type.Literal('keep-both'), Type.Literal('replace')], {
      default: 'keep-both',
      description:
        'When its name is taken where it goes back: keep both (it is restored as "name (2).ext"), or replace (a file: its content becomes a new version of the file holding the name; otherwise what holds the name goes to the trash)',
    }),
  },
  { additionalProperties: false },
);

export const RecentQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }), cursor: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
);

export const FileList = Type.Object({ items: Type.Array(FileInfo), nextCursor: Type.Union([Type.String(), Type.Null()]), asOf: AsOfShown }, { $id: 'FileList' });

export const AsOfQuery = Type.Object({ asOf: Type.Optional(AsOf) }, { additionalProperties: false });
export const VersionInfo = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  size: Type.Integer({ minimum: 0 }),
  contentType: Type.String(),
  sha256: Type.String(),
  createdAt: Timestamp,
  tier: Type.String({ description: "This version's storage tier: Hot, Cool or Archive" }),
  label: Type.Union([Type.String(), Type.Null()], { description: 'Its name, if you gave it one; named versions outlive the retention policy' }),
  restoredFrom: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'The version whose content this one restored (the same bytes, stored once); null for an upload' }),
}, { $id: 'VersionInfo' });
/** A file now, or as of a moment: then also whether it was in the trash, and its versions then. */
export const FileAsOf = Type.Composite(
  [
    FileInfo,
    Type.Object({
      trashedAt: Type.Optional(Type.Union([Timestamp, Type.Null()], { description: 'With ?asOf=: when it had gone to the trash, if it was there at that moment; null if it was not' })),
      versions: Type.Optional(
        Type.Array(VersionInfo, { description: 'With ?asOf=: its versions as they were at that moment, oldest first (names, restores, deleted ones gone, each blob’s tier then), as GET /files/{id}/versions listed them then' }),
      ),
      asOf: AsOfShown,
    }),
  ],
  { $id: 'FileAsOf' },
);

export const RestoreToBody = Type.Object({ asOf: AsOf }, { additionalProperties: false });
const NotRestored = Type.Object({
  kind: Type.Union([Type.Literal('file'), Type.Literal('folder')]),
  id: Type.String({ format: 'uuid' }),
  name: Type.String({ description: 'Its name at that moment' }),
  reason: Type.Literal('purged', { description: 'Purged since: its content is gone for good' }),
});
export const RestoredTo = Type.Object(
  {
    folder: FolderInfo,
    asOf: Type.String({ format: 'date-time', description: 'The moment restored (a moment after now is now)' }),
    changed: Type.Integer({ minimum: 0, description: 'Files and folders that were inside then and were brought back to their name, place and trash state of then' }),
    trashed: Type.Integer({ minimum: 0, description: 'Files and folders inside now that were not then: moved to the trash (restorable from there)' }),
    notRestored: Type.Array(NotRestored, { description: 'What was inside then and cannot come back' }),
  },
  { $id: 'RestoredTo' },
);

export const TrashList = Type.Object({ items: Type.Array(TrashedFile), nextCursor: Type.Union([Type.String(), Type.Null()]) }, { $id: 'TrashList' });

export const PageQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }), cursor: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);

export const VersionList = Type.Object({ items: Type.Array(VersionInfo) }, { $id: 'VersionList' });

/**
 * A value or null, as one JSON Schema type list rather than anyOf: the service's Ajv coerces types,
 * and in an anyOf it would turn "" or 0 (which the value's own branch refuses) into null.
 */
const nullable = <T>(schema: Record<string, unknown>) => Type.Unsafe<T | null>(schema);

export const VersionParams = Type.Object({ id: Id, n: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'The version number' }) });

export const LabelBody = Type.Object(
  {
    label: nullable<string>({
      type: ['string', 'null'],
      minLength: 1,
      maxLength: 100,
      description: '1 to 100 characters, no control or text-direction characters, no white space at either end; null takes the name away',
    }),
  },
  { additionalProperties: false },
);

const KeepLast = nullable<number>({ type: ['integer', 'null'], minimum: 1, maximum: 1000, description: 'Keep the last N versions of each file (the current one counts); null: no such rule' });
const KeepDays = nullable<number>({ type: ['integer', 'null'], minimum: 1, maximum: 3650, description: 'Keep the versions younger than D days; null: no such rule' });
export const RetentionBody = Type.Object(
  { keepLast: Type.Optional(KeepLast), keepDays: Type.Optional(KeepDays) },
  {
    additionalProperties: false,
    description:
      'The whole policy (what is absent or null is not a rule): a version is deleted when it is neither among the last keepLast nor younger than keepDays. Named versions and the current one are always kept; {} keeps everything.',
  },
);
export const Retention = Type.Object(
  {
    keepLast: Type.Union([Type.Integer(), Type.Null()]),
    keepDays: Type.Union([Type.Integer(), Type.Null()]),
    updatedAt: Type.Union([Timestamp, Type.Null()], { description: 'When you last set it; null: never set (every version is kept)' }),
  },
  { $id: 'Retention' },
);

export const ContentQuery = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
    redirect: Type.Optional(
      Type.Boolean({
        description:
          'false: the bytes through this API (200/206/304, ETag = the sha256 of the version). true or absent: what the service is set to ' +
          '(DOWNLOAD_REDIRECT, on by default): a 307 to a short-lived read-only URL of the blob, from which Blob Storage sends the bytes ' +
          "with Blob Storage's own ETag.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const ContentLinkQuery = Type.Object(
  { version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })) },
  { additionalProperties: false },
);
export const ContentLink = Type.Object(
  {
    url: Type.String({ format: 'uri', description: "A read-only SAS URL of exactly this version's blob; Blob Storage answers it with Content-Disposition: attachment" }),
    expiresAt: Timestamp,
    version: Type.Integer({ minimum: 1 }),
    size: Type.Integer({ minimum: 0 }),
  },
  { $id: 'ContentLink' },
);

/** The answer of a download by redirect: no body, the blob's signed URL in Location. */
export const DownloadRedirect = {
  description:
    "Temporary Redirect to a read-only SAS URL of exactly this version's blob, valid for a few minutes (DOWNLOAD_SAS_TTL_SECONDS, at most 300). " +
    'Follow it without the Authorization header (fetch drops it on another origin); Range works there. ' +
    'The blob answers with Content-Disposition: attachment and a safe Content-Type forced by the signature.',
  headers: { location: { description: 'The signed URL of the blob', schema: { type: 'string', format: 'uri' } } },
  type: 'null',
};

export const RenameBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })), folderId: Type.Optional(Type.Union([Id, Type.Null()])) },
  { additionalProperties: false, minProperties: 1, description: 'A new name, another folder (null: the root), or both' },
);

export const IfMatchHeaders = Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 100 })) });

export const Usage = Type.Object({
  bytes: Type.Integer(),
  files: Type.Integer(),
  versions: Type.Integer(),
  quotaBytes: Type.Integer(),
  reservedBytes: Type.Integer({ description: 'Held for resumable uploads in progress (their whole Upload-Length): counted against the quota until they complete, fail, expire or are given up' }),
  byContentType: Type.Array(Type.Object({ contentType: Type.String(), bytes: Type.Integer(), versions: Type.Integer() })),
  oldVersions: Type.Integer({ description: 'Of versions: how many are not their file\'s current one' }),
  versionBytes: Type.Integer({
    description: "Of bytes: what versions other than the current ones hold (content no current version shares); deleting every old version would free this much",
  }),
}, { $id: 'Usage' });

export const ActivityEntry = Type.Object(
  {
      id: Type.String(),
      fileId: Type.String(),
      type: Type.String({ description: 'The event: FileUploaded, FileRenamed...' }),
      actor: Type.String({ description: 'Who: user:<id>, client:<id> or system' }),
      address: Type.Union([Type.String(), Type.Null()], { description: 'From where: the client address' }),
      userAgent: Type.Union([Type.String(), Type.Null()]),
      at: Timestamp,
      details: Type.Object({}, { additionalProperties: true }),
  },
  { $id: 'ActivityEntry' },
);
export const Activity = Type.Object({ items: Type.Array(ActivityEntry), nextCursor: Type.Union([Type.String(), Type.Null()]) }, { $id: 'ActivityList' });

export const GrantBody = Type.Object({ clientId: Type.String({ pattern: '^[A-Za-z0-9_-]{3,100}$' }) }, { additionalProperties: false });
export const GrantParams = Type.Object({ id: Id, clientId: Type.String({ pattern: '^[A-Za-z0-9_-]{3,100}$' }) });
export const Grant = Type.Object({ clientId: Type.String(), grantedAt: Timestamp }, { $id: 'Grant' });
export const GrantList = Type.Object({ items: Type.Array(Grant) }, { $id: 'GrantList' });
/** A grant as the owner's list of partners shows it: which file, to which partner client. */
export const OwnerGrant = Type.Object(
  { fileId: Id, fileName: Type.String(), fileStatus: Type.Union([Type.Literal('active'), Type.Literal('trashed')]), clientId: Type.String(), grantedAt: Timestamp },
  { $id: 'OwnerGrant' },
);
export const OwnerGrantList = Type.Object({ items: Type.Array(OwnerGrant) }, { $id: 'OwnerGrantList' });

/** A download of archived content: 202 with Retry-After until the job has seen it hot again. */
export const Rehydrating = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    version: Type.Integer({ minimum: 1, description: 'The version asked for' }),
    state: Type.Literal('rehydrating'),
    requestedAt: Timestamp,
    priority: RehydratePriority,
    retryAfterSeconds: Type.Integer({ minimum: 1, description: 'As the Retry-After header' }),
  },
  {
    $id: 'Rehydrating',
    description:
      'The content is in the archive tier and is being brought back to hot (priority Standard: up to 15 hours; High: under one hour for most files); ask again after Retry-After seconds, or wait for the live event FileRehydrated',
  },
);

/**
 * The bytes of a file, sent with the type sniffed from them (application/octet-stream for active
 * types): any media type, not JSON.
 */
export const BinaryResponse = { description: 'The bytes of the file', content: { '*/*': { schema: Type.String({ contentMediaType: 'application/octet-stream' }) } } };

export const UsageHistoryQuery = Type.Object(
  { days: Type.Integer({ minimum: 1, maximum: 366, default: 30 }) },
  { additionalProperties: false },
);
export const UsageHistory = Type.Object({
  items: Type.Array(
    Type.Object({
      date: Type.String({ format: 'date', description: 'A day (UTC) on which the stored bytes changed' }),
      bytes: Type.Integer({ description: 'Bytes stored at the end of that day, all versions and the trash included' }),
    }),
  ),
}, { $id: 'UsageHistory' });

export const BulkItem = Type.Object(
  { kind: Type.Union([Type.Literal('file'), Type.Literal('folder')]), id: Id },
  { additionalProperties: false },
);

/** POST /bulk's body; `maxItems` is BULK_MAX_ITEMS (more is a 400, and nothing is done). */
export const BulkBody = (maxItems: number) =>
  Type.Object(
    {
      action: Type.Union([Type.Literal('move'), Type.Literal('trash'), Type.Literal('restore'), Type.Literal('purge'), Type.Literal('star'), Type.Literal('unstar')], {
        description: 'What to do to every item, as its own route does it',
      }),
      items: Type.Array(BulkItem, { minItems: 1, maxItems, description: `At most ${maxItems} items, done one after the other in this order` }),
      targetFolderId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'For move (and only move, which needs it): the folder to move into; null for the root' })),
      onClash: Type.Optional(
        Type.Union([Type.Literal('keep-both'), Type.Literal('replace')], { description: 'For restore (and only restore): as the onClash query of the single restore routes; keep-both by default' }),
      ),
    },
    { additionalProperties: false },
  );

export const BulkResults = Type.Object(
  {
    results: Type.Array(
      Type.Object({
        kind: Type.Union([Type.Literal('file'), Type.Literal('folder')]),
        id: Type.String({ format: 'uuid' }),
        ok: Type.Boolean(),
        status: Type.Integer({ description: "The status the item's own route would have answered (200 or 204 when done; 404 for anything not yours)" }),
        detail: Type.Optional(Type.String({ description: 'Why it failed, in the words of that route' })),
      }),
      { description: 'One per item, in the order named' },
    ),
  },
  { $id: 'BulkResults' },
);

/** POST /zip's body; `maxItems` is BULK_MAX_ITEMS. */
export const ZipBody = (maxItems: number) =>
  Type.Object({ items: Type.Array(BulkItem, { minItems: 1, maxItems, description: 'Files (their latest version) and folders (with everything inside)' }) }, { additionalProperties: false });

export const ZipLink = Type.Object(
  {
    url: Type.String({ description: 'Where the browser goes (a navigation, no token) to download the archive, once, before expiresAt: /api/v1/zip/links/{id}' }),
    expiresAt: Timestamp,
  },
  { $id: 'ZipLink' },
);
export const ZipLinkParams = Type.Object({ id: Id });

/** The archive's bytes (a plain JSON Schema, not TypeBox: the reply is a stream, not a string). */
export const ZipResponse = { description: 'The archive, streamed', content: { 'application/zip': { schema: { type: 'string', contentMediaType: 'application/zip' } } } };

/** An account export: queued, being built (with its progress), then ready to download until it expires. */
export const AccountExport = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('ready'), Type.Literal('failed')]),
    /** From 0 to 1: bytes of the archive stored so far over its length. */
    progress: Type.Number({ minimum: 0, maximum: 1 }),
    doneBytes: Type.Integer(),
    totalBytes: Type.Union([Type.Integer(), Type.Null()]),
    size: Type.Union([Type.Integer(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    completedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    /** The archive, with the bearer token, once ready. */
    download: Type.Union([Type.String(), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'AccountExport' },
);
export const AccountExportAccepted = Type.Object(
  { id: Type.String({ format: 'uuid' }), status: Type.Union([Type.Literal('queued'), Type.Literal('running')]) },
  { $id: 'AccountExportAccepted' },
);
export const ExportParams = Type.Object({ id: Id });
