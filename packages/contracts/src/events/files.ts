import { type Static, type TObject, Type } from '@sinclair/typebox';
import { FileEventTypes, FolderEventTypes, ShareEventTypes } from './names.js';
import type { PublishedOf } from './published.js';

/*
 * The published events of topic `files.events`, v1. Each is mapped from the files service's
 * domain event by `toPublished` (services/files/src/published.ts); what a schema does not name
 * (blob names, version ids, the caller's address) is not published. Times are ISO 8601 strings.
 */

const strict = { additionalProperties: false } as const;
const Tier = Type.Union([Type.Literal('Hot'), Type.Literal('Cool'), Type.Literal('Archive')]);
/** How fast Blob Storage brings an archived blob back (its `x-ms-rehydrate-priority`). */
export const RehydratePriority = Type.Union([Type.Literal('Standard'), Type.Literal('High')]);
export type RehydratePriority = Static<typeof RehydratePriority>;
/** Whose file it is: a user's id, or `client:<id>` for what a partner uploaded. */
const file = { fileId: Type.String(), ownerId: Type.String() };
const content = {
  version: Type.Integer({ minimum: 1 }),
  size: Type.Integer({ minimum: 0 }),
  contentType: Type.String(),
  sha256: Type.String(),
  createdAt: Type.String(),
};

/** A folder's id, or null for the root of the owner's drive. */
const FolderRef = Type.Union([Type.String(), Type.Null()]);

export const FileUploadedV1 = Type.Object(
  {
    ...file,
    name: Type.String(),
    via: Type.Union([Type.Literal('multipart'), Type.Literal('tus')]),
    ...content,
    /** Where it was uploaded to; absent from events stored before folders (the root). */
    folderId: Type.Optional(FolderRef),
  },
  strict,
);
export const FileVersionAddedV1 = Type.Object({ ...file, ...content }, strict);
export const FileRenamedV1 = Type.Object({ ...file, from: Type.String(), to: Type.String(), renamedAt: Type.String() }, strict);
export const FileTrashedV1 = Type.Object({ ...file, trashedAt: Type.String() }, strict);
export const FileRestoredV1 = Type.Object({ ...file, restoredAt: Type.String() }, strict);
export const FilePurgedV1 = Type.Object(
  { ...file, purgedAt: Type.String(), reason: Type.Union([Type.Literal('user'), Type.Literal('retention'), Type.Literal('replaced')]), bytes: Type.Integer({ minimum: 0 }) },
  strict,
);
export const FileTierChangedV1 = Type.Object({ ...file, from: Tier, to: Tier, changedAt: Type.String() }, strict);
/** A download found the file in the archive tier: its blobs are being brought back to hot (Standard: up to 15 hours, High: under one). */
export const FileRehydrationRequestedV1 = Type.Object(
  { ...file, priority: RehydratePriority, requestedAt: Type.String() },
  strict,
);
/** Every archived blob of the file reads back hot: it can be downloaded again. */
export const FileRehydratedV1 = Type.Object({ ...file, requestedAt: Type.String(), rehydratedAt: Type.String() }, strict);
export const FileSharedV1 = Type.Object({ ...file, clientId: Type.String(), sharedAt: Type.String() }, strict);
export const FileUnsharedV1 = Type.Object({ ...file, clientId: Type.String(), unsharedAt: Type.String() }, strict);

/** The file went from one folder to another (null: the root), keeping its name. */
export const FileMovedV1 = Type.Object({ ...file, from: FolderRef, to: FolderRef, movedAt: Type.String() }, strict);
export const FileStarredV1 = Type.Object({ ...file, starredAt: Type.String() }, strict);
export const FileUnstarredV1 = Type.Object({ ...file, unstarredAt: Type.String() }, strict);

/**
 * An older version made current again: a new version (`version`) with the content of `restoredFrom`,
 * the same bytes (one blob for both: the restore stores nothing new, so it adds nothing to the
 * usage). `createdAt` is when it was restored.
 */
export const FileVersionRestoredV1 = Type.Object({ ...file, ...content, restoredFrom: Type.Integer({ minimum: 1 }) }, strict);
/** A version named (`label`), or its name taken away (null). Named versions outlive the retention policy. */
export const FileVersionLabelledV1 = Type.Object({ ...file, version: Type.Integer({ minimum: 1 }), label: Type.Union([Type.String(), Type.Null()]), labelledAt: Type.String() }, strict);
/**
 * One version deleted (never the current one), by its owner or by the retention policy. `bytes`:
 * what it freed (0 when another version of the file holds the same content).
 */
export const FileVersionDeletedV1 = Type.Object(
  { ...file, version: Type.Integer({ minimum: 1 }), reason: Type.Union([Type.Literal('user'), Type.Literal('retention')]), bytes: Type.Integer({ minimum: 0 }), deletedAt: Type.String() },
  strict,
);

const folder = { folderId: Type.String(), ownerId: Type.String() };
export const FolderCreatedV1 = Type.Object({ ...folder, name: Type.String(), parentId: FolderRef, createdAt: Type.String() }, strict);
export const FolderRenamedV1 = Type.Object({ ...folder, from: Type.String(), to: Type.String(), renamedAt: Type.String() }, strict);
export const FolderMovedV1 = Type.Object({ ...folder, from: FolderRef, to: FolderRef, movedAt: Type.String() }, strict);
/**
 * The folder went to the trash: `withFolderId` names the folder whose trash took it along (absent
 * for the folder the user trashed). Each file inside has its own FileTrashed.
 */
export const FolderTrashedV1 = Type.Object({ ...folder, trashedAt: Type.String(), withFolderId: Type.Optional(Type.String()) }, strict);
export const FolderRestoredV1 = Type.Object({ ...folder, restoredAt: Type.String() }, strict);
export const FolderStarredV1 = Type.Object({ ...folder, starredAt: Type.String() }, strict);
export const FolderUnstarredV1 = Type.Object({ ...folder, unstarredAt: Type.String() }, strict);

/** What a share or a link is of: a file or a folder (with everything inside it). */
export const ShareKind = Type.Union([Type.Literal('file'), Type.Literal('folder')]);
export const ShareRole = Type.Union([Type.Literal('viewer'), Type.Literal('editor')]);
/** The recipient by user id only: the e-mail a share was made with stays in the log and the owner's list. */
const share = { shareId: Type.String(), ownerId: Type.String(), kind: ShareKind, itemId: Type.String(), recipientId: Type.String() };
export const ItemSharedV1 = Type.Object({ ...share, role: ShareRole, sharedAt: Type.String() }, strict);
export const ShareRoleChangedV1 = Type.Object({ ...share, from: ShareRole, to: ShareRole, changedAt: Type.String() }, strict);
export const ShareRevokedV1 = Type.Object({ ...share, revokedAt: Type.String() }, strict);
/** A share link: never its token, its hash or its password's hash; only whether it has a password. */
const link = { linkId: Type.String(), ownerId: Type.String(), kind: ShareKind, itemId: Type.String() };
export const LinkCreatedV1 = Type.Object(
  { ...link, expiresAt: Type.Union([Type.String(), Type.Null()]), hasPassword: Type.Boolean(), maxDownloads: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]), createdAt: Type.String() },
  strict,
);
export const LinkRevokedV1 = Type.Object({ ...link, reason: Type.Union([Type.Literal('owner'), Type.Literal('purged')]), revokedAt: Type.String() }, strict);
/**
 * Someone without an account used the link: `action` says what (what it shares read, the password
 * tried, the content downloaded), `outcome` whether it was let through. The address and user agent
 * are in the owner's activity (from the event's metadata), never published.
 */
export const LinkAccessedV1 = Type.Object(
  {
    ...link,
    action: Type.Union([Type.Literal('view'), Type.Literal('unlock'), Type.Literal('download')]),
    outcome: Type.Union([Type.Literal('allowed'), Type.Literal('wrong-password'), Type.Literal('download-limit')]),
    downloads: Type.Integer({ minimum: 0 }),
    at: Type.String(),
  },
  strict,
);

/** Every published event of `files.events`, by type and schema version. */
export const FileEventSchemas = {
  [FileEventTypes.FileUploaded]: { 1: FileUploadedV1 },
  [FileEventTypes.FileVersionAdded]: { 1: FileVersionAddedV1 },
  [FileEventTypes.FileRenamed]: { 1: FileRenamedV1 },
  [FileEventTypes.FileTrashed]: { 1: FileTrashedV1 },
  [FileEventTypes.FileRestored]: { 1: FileRestoredV1 },
  [FileEventTypes.FilePurged]: { 1: FilePurgedV1 },
  [FileEventTypes.FileTierChanged]: { 1: FileTierChangedV1 },
  [FileEventTypes.FileRehydrationRequested]: { 1: FileRehydrationRequestedV1 },
  [FileEventTypes.FileRehydrated]: { 1: FileRehydratedV1 },
  [FileEventTypes.FileShared]: { 1: FileSharedV1 },
  [FileEventTypes.FileUnshared]: { 1: FileUnsharedV1 },
  [FileEventTypes.FileMoved]: { 1: FileMovedV1 },
  [FileEventTypes.FileStarred]: { 1: FileStarredV1 },
  [FileEventTypes.FileUnstarred]: { 1: FileUnstarredV1 },
  [FileEventTypes.FileVersionRestored]: { 1: FileVersionRestoredV1 },
  [FileEventTypes.FileVersionLabelled]: { 1: FileVersionLabelledV1 },
  [FileEventTypes.FileVersionDeleted]: { 1: FileVersionDeletedV1 },
  [FolderEventTypes.FolderCreated]: { 1: FolderCreatedV1 },
  [FolderEventTypes.FolderRenamed]: { 1: FolderRenamedV1 },
  [FolderEventTypes.FolderMoved]: { 1: FolderMovedV1 },
  [FolderEventTypes.FolderTrashed]: { 1: FolderTrashedV1 },
  [FolderEventTypes.FolderRestored]: { 1: FolderRestoredV1 },
  [FolderEventTypes.FolderStarred]: { 1: FolderStarredV1 },
  [FolderEventTypes.FolderUnstarred]: { 1: FolderUnstarredV1 },
  [ShareEventTypes.ItemShared]: { 1: ItemSharedV1 },
  [ShareEventTypes.ShareRoleChanged]: { 1: ShareRoleChangedV1 },
  [ShareEventTypes.ShareRevoked]: { 1: ShareRevokedV1 },
  [ShareEventTypes.LinkCreated]: { 1: LinkCreatedV1 },
  [ShareEventTypes.LinkRevoked]: { 1: LinkRevokedV1 },
  [ShareEventTypes.LinkAccessed]: { 1: LinkAccessedV1 },
} as const satisfies Record<
  (typeof FileEventTypes)[keyof typeof FileEventTypes] | (typeof FolderEventTypes)[keyof typeof FolderEventTypes] | (typeof ShareEventTypes)[keyof typeof ShareEventTypes],
  Record<number, TObject>
>;

/** What `files.events` carries: the files' events and the folders'. */
export type PublishedFilesTopicEvent = PublishedOf<typeof FileEventSchemas>;
/** A file's own published events (each names a fileId). */
export type PublishedFileEvent = Exclude<PublishedFilesTopicEvent, { type: (typeof FolderEventTypes)[keyof typeof FolderEventTypes] | (typeof ShareEventTypes)[keyof typeof ShareEventTypes] }>;
/** A folder's published events (each names a folderId). */
export type PublishedFolderEvent = Extract<PublishedFilesTopicEvent, { type: (typeof FolderEventTypes)[keyof typeof FolderEventTypes] }>;
/** The shares' and links' published events (each names an itemId of kind file or folder). */
export type PublishedShareEvent = Extract<PublishedFilesTopicEvent, { type: (typeof ShareEventTypes)[keyof typeof ShareEventTypes] }>;
