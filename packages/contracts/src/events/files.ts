import { type Static, type TObject, Type } from '@sinclair/typebox';
import { FileEventTypes } from './names.js';
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

export const FileUploadedV1 = Type.Object({ ...file, name: Type.String(), via: Type.Union([Type.Literal('multipart'), Type.Literal('tus')]), ...content }, strict);
export const FileVersionAddedV1 = Type.Object({ ...file, ...content }, strict);
export const FileRenamedV1 = Type.Object({ ...file, from: Type.String(), to: Type.String(), renamedAt: Type.String() }, strict);
export const FileTrashedV1 = Type.Object({ ...file, trashedAt: Type.String() }, strict);
export const FileRestoredV1 = Type.Object({ ...file, restoredAt: Type.String() }, strict);
export const FilePurgedV1 = Type.Object(
  { ...file, purgedAt: Type.String(), reason: Type.Union([Type.Literal('user'), Type.Literal('retention')]), bytes: Type.Integer({ minimum: 0 }) },
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
} as const satisfies Record<(typeof FileEventTypes)[keyof typeof FileEventTypes], Record<number, TObject>>;

export type PublishedFileEvent = PublishedOf<typeof FileEventSchemas>;
