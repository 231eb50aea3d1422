import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Insights } from '../schemas/index.js';

/** An owner's document (active: trashed files have no insights to show) and one of its versions, the current by default. */
async function versionOf(db: Kysely<Database>, ownerId: string, fileId: string, version?: number) {
  const doc = await db.selectFrom('insights.documents').selectAll().where('file_id', '=', fileId).where('owner_id', '=', ownerId).where('status', '=', 'active').executeTakeFirst();
  if (!doc) return undefined;
  const v = await db.selectFrom('insights.versions').selectAll().where('file_id', '=', fileId).where('version', '=', version ?? doc.current_version).executeTakeFirst();
  return v && { doc, v };
}

export async function insightsOf(db: Kysely<Database>, ownerId: string, fileId: string, version?: number): Promise<Insights | undefined> {
  const found = await versionOf(db, ownerId, fileId, version);
  if (!found) return undefined;
  const { v } = found;
  const [tags, preview] = await Promise.all([
    db.selectFrom('insights.tags').select(['name', 'source', 'why', 'accepted']).where('file_id', '=', fileId).orderBy('name').execute(),
    db.selectFrom('insights.previews').select('version').where('file_id', '=', fileId).where('version', '=', v.version).executeTakeFirst(),
  ]);
  return {
    fileId,
    version: v.version,
    status: v.status,
    ...(v.status === 'failed' ? { reason: v.reason ?? 'unknown', transient: v.transient, retryAt: v.retry_at?.toISOString() ?? null } : {}),
    attempts: v.attempts,
    language: v.language,
    format: v.format,
    pages: v.pages,
    ocrPages: v.ocr_pages,
    truncated: v.truncated,
    summary: v.summary,
    keywords: v.keywords,
    entities: v.entities,
    tags,
    extractorVersion: v.extractor_version,
    indexedAt: v.indexed_at?.toISOString() ?? null,
    preview: preview ? `/api/v1/files/${fileId}/preview${version ? `?version=${version}` : ''}` : null,
  };
}

export async function previewOf(db: Kysely<Database>, ownerId: string, fileId: string, version?: number) {
  const found = await versionOf(db, ownerId, fileId, version);
  if (!found) return undefined;
  return db.selectFrom('insights.previews').selectAll().where('file_id', '=', fileId).where('version', '=', found.v.version).executeTakeFirst();
}
