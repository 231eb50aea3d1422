import type { ColumnType, Generated, Selectable } from 'kysely';
import type { Entity } from '../domain/document/document.js';

/** bigint columns come back from pg as strings; we write numbers. */
type BigInt = ColumnType<string, number | string, number | string>;
type Json<T> = ColumnType<T, string, string>;

/** One row per file insights knows (trashed ones too); a purged file's rows are gone. */
export interface DocumentsTable {
  file_id: string;
  owner_id: string;
  name: string;
  current_version: number;
  status: 'active' | 'trashed';
  updated_at: Date;
}

export interface VersionsTable {
  file_id: string;
  version: number;
  content_type: string;
  size: BigInt;
  sha256: string;
  created_at: Date;
  status: 'pending' | 'indexed' | 'failed';
  reason: string | null;
  transient: Generated<boolean>;
  attempts: Generated<number>;
  retry_at: Date | null;
  extractor_version: number | null;
  format: string | null;
  language: string | null;
  pages: Generated<number>;
  ocr_pages: Generated<number>;
  chars: Generated<number>;
  truncated: Generated<boolean>;
  summary: Generated<string>;
  keywords: Json<string[]>;
  entities: Json<Entity[]>;
  indexed_at: Date | null;
}

export interface TagsTable {
  file_id: string;
  name: string;
  source: 'rule' | 'keyword';
  why: string;
  accepted: boolean | null;
}

export interface WorkTable {
  file_id: string;
  version: number;
  due_at: Date;
  lease_until: Date | null;
}

export interface PassagesTable {
  file_id: string;
  version: number;
  idx: number;
  page: number | null;
  text: string;
  /** The text search configuration its tsvector was made with (english, simple, …). */
  config: string;
  tsv: string;
  extractor_version: number;
}

/** One row per active document: what search selects and counts with (migration 20261202T090000_search_docs). */
export interface SearchDocsTable {
  file_id: string;
  owner_id: string;
  version: number;
  name: string;
  /** A content-type family: pdf, document, spreadsheet, presentation, text, image, other. */
  family: string;
  /** The current version's year (UTC). */
  year: number;
  created_at: Date;
  /** Whether the current version has been read (else `tsv` is empty). */
  indexed: boolean;
  /** Its tags that are not rejected. */
  tags: string[];
  /** The current version's lexemes, without positions. */
  tsv: string;
  /** `word#n` for each tier n (2, 3, 4, 5, 6, 8, 11, 16, 23, 32) that a word's count in one passage reaches (migration 20261203T010000_search_tiers). */
  tiers: string;
}

export interface PreviewsTable {
  file_id: string;
  version: number;
  content_type: string;
  width: number;
  height: number;
  bytes: Buffer;
  extractor_version: number;
}

export interface Database {
  'insights.documents': DocumentsTable;
  'insights.versions': VersionsTable;
  'insights.tags': TagsTable;
  'insights.work': WorkTable;
  'insights.passages': PassagesTable;
  'insights.previews': PreviewsTable;
  'insights.search_docs': SearchDocsTable;
}

export type DocumentRow = Selectable<DocumentsTable>;
export type VersionRow = Selectable<VersionsTable>;
