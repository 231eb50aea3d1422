import type { ColumnType, Generated, Selectable } from 'kysely';

/** bigint columns come back from pg as strings; we write numbers. */
type BigInt = ColumnType<string, number | string, number | string>;

/** Read models of the files service (schema `files`); the event streams live beside them. */
export interface FilesTable {
  file_id: string;
  owner_id: string;
  name: string;
  size: BigInt;
  content_type: string;
  sha256: string;
  version: number;
  revision: number;
  status: 'active' | 'trashed';
  tier: string;
  created_at: Date;
  updated_at: Date;
  trashed_at: Date | null;
  /** When the pending rehydration was asked for; null when none is pending. */
  rehydrating_since: Date | null;
  /** When the last rehydration finished: the tier job counts the file's age from then. */
  rehydrated_at: Date | null;
  /** The folder it is in; null at the root. */
  folder_id: string | null;
  /** What its name clashes on in its folder (`nameKey`: NFC, case-folded). */
  name_key: string;
  /** The folder whose trash took it along: restoring that folder restores it. */
  trashed_with: string | null;
  starred_at: Date | null;
}

export interface FoldersTable {
  folder_id: string;
  owner_id: string;
  name: string;
  name_key: string;
  /** Null at the root. */
  parent_id: string | null;
  status: 'active' | 'trashed';
  /** The folder stream's version: GET sends it as the ETag, PATCH takes it in If-Match. */
  revision: number;
  created_at: Date;
  updated_at: Date;
  trashed_at: Date | null;
  trashed_with: string | null;
  starred_at: Date | null;
}

export interface VersionsTable {
  file_id: string;
  version: number;
  version_id: string;
  owner_id: string;
  blob_name: string;
  size: BigInt;
  content_type: string;
  sha256: string;
  created_at: Date;
  /** The tier of this version's blob: Hot, Cool or Archive. */
  tier: Generated<string>;
  /** The version's name; named versions outlive the retention policy. */
  label: Generated<string | null>;
  /** The version whose content (and blob) this one restored; null for an upload. */
  restored_from: Generated<number | null>;
}

/** A user's retention policy for old versions (a setting, not a read model); no row: keep them all. */
export interface RetentionTable {
  owner_id: string;
  keep_last: number | null;
  keep_days: number | null;
  updated_at: Date;
}

export interface UsageTable {
  owner_id: string;
  bytes: BigInt;
  files: number;
  versions: number;
}

export interface UsageByTypeTable {
  owner_id: string;
  content_type: string;
  bytes: BigInt;
  versions: number;
}

export interface ActivityTable {
  seq: Generated<string>;
  event_id: string;
  owner_id: string;
  file_id: string;
  type: string;
  actor: string;
  address: string | null;
  user_agent: string | null;
  details: unknown;
  at: Date;
}

export interface GrantsTable {
  file_id: string;
  client_id: string;
  owner_id: string;
  granted_at: Date;
}

export interface IdempotencyTable {
  owner_id: string;
  key: string;
  file_id: string;
  response: unknown;
  created_at: Date;
}

export interface UploadsTable {
  upload_id: string;
  owner_id: string;
  file_id: string;
  version_id: string;
  blob_name: string;
  name: string;
  /** The folder named at creation (Upload-Metadata folderId); null: the root. */
  folder_id: Generated<string | null>;
  length: BigInt;
  offset: BigInt;
  created_at: Date;
  expires_at: Date;
  completed_at: Date | null;
  /** Set when the completion was refused: the upload has ended, its bytes are deleted. */
  failed_at: Date | null;
  failure: UploadFailure | null;
}

/** Why a resumable upload's completion was refused. */
export type UploadFailure = 'quota-exceeded' | 'size-mismatch' | 'folder-gone';

/** A folder's trash or restore in progress: its durable progress record (not a projection). */
export interface FolderOperationsTable {
  folder_id: string;
  owner_id: string;
  kind: FolderOperationKind;
  metadata: ColumnType<Record<string, unknown>, string, string>;
  requested_at: Date;
  touched_at: Generated<Date>;
  done: Generated<number>;
}

export type FolderOperationKind = 'trash' | 'restore';
/** When a state held: from the event that made it until the next one's (`infinity`: it holds now). */
interface Validity {
  valid_from: Date;
  valid_to: ColumnType<Date, Date | undefined, Date>;
  /** The aggregate's whole state, kept on the open row only (the next event folds onto it). */
  state: unknown;
}

/** A file's states through time (time travel); `status` adds `purged`, the state a purge leaves. */
export interface FileHistoryTable extends Validity {
  file_id: string;
  owner_id: string;
  revision: number;
  status: 'active' | 'trashed' | 'purged';
  name: string;
  name_key: string;
  folder_id: string | null;
  size: BigInt;
  content_type: string;
  sha256: string;
  version: number;
  tier: string;
  created_at: Date;
  updated_at: Date;
  trashed_at: Date | null;
  trashed_with: string | null;
  rehydrating_since: Date | null;
  starred: boolean;
}

/** A folder's states through time (time travel). */
export interface FolderHistoryTable extends Validity {
  folder_id: string;
  owner_id: string;
  revision: number;
  status: 'active' | 'trashed';
  name: string;
  name_key: string;
  parent_id: string | null;
  created_at: Date;
  updated_at: Date;
  trashed_at: Date | null;
  trashed_with: string | null;
  starred: boolean;
}

/** A single-use link to a ZIP of a user's items (`items`: the [{kind, id}] named), taken by its download. */
/** An account export (POST /me/exports): queued, built in the background, then a blob to download. */
export interface ExportsTable {
  id: string;
  owner_id: string;
  status: 'queued' | 'running' | 'ready' | 'failed';
  done_bytes: ColumnType<string, number | undefined, number>;
  total_bytes: ColumnType<string | null, number | null | undefined, number | null>;
  blob_name: string | null;
  size: ColumnType<string | null, number | null | undefined, number | null>;
  error: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  heartbeat_at: Date | null;
  created_at: Date;
  completed_at: Date | null;
  expires_at: Date | null;
}

export interface ZipLinksTable {
  id: string;
  owner_id: string;
  /** jsonb: written as JSON text, read back parsed */
  items: ColumnType<{ kind: 'file' | 'folder'; id: string }[], string, never>;
  created_at: Date;
  expires_at: Date;
}

/** A file or folder shared with another user (`shares`, from the share streams); a revoked share has no row. */
export interface SharesTable {
  share_id: string;
  owner_id: string;
  kind: 'file' | 'folder';
  item_id: string;
  recipient_id: string;
  email: string;
  role: 'viewer' | 'editor';
  created_at: Date;
}

/** A share link that is not revoked (`links`, from the link streams); found by its token's hash. */
export interface LinksTable {
  link_id: string;
  owner_id: string;
  kind: 'file' | 'folder';
  item_id: string;
  token_hash: string;
  has_password: boolean;
  expires_at: Date | null;
  max_downloads: number | null;
  downloads: number;
  created_at: Date;
}

export interface Database {
  'files.files': FilesTable;
  'files.folders': FoldersTable;
  'files.versions': VersionsTable;
  'files.usage': UsageTable;
  'files.usage_by_type': UsageByTypeTable;
  'files.activity': ActivityTable;
  'files.grants': GrantsTable;
  'files.idempotency': IdempotencyTable;
  'files.uploads': UploadsTable;
  'files.retention': RetentionTable;
  'files.folder_operations': FolderOperationsTable;
  'files.file_history': FileHistoryTable;
  'files.folder_history': FolderHistoryTable;
  'files.zip_links': ZipLinksTable;
  'files.exports': ExportsTable;
  'files.shares': SharesTable;
  'files.links': LinksTable;
}

export type FileRow = Selectable<FilesTable>;
export type FolderRow = Selectable<FoldersTable>;
export type VersionRow = Selectable<VersionsTable>;
export type UploadRow = Selectable<UploadsTable>;
