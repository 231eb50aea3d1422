import { type RecordedEvent, projection } from '@strata/event-store';
import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import { type DocumentEvent, DocumentEventTypes as T } from '../domain/document/document.js';

/**
 * What insights knows of each file (`documents`, `versions`, `tags`) and what it has left to read
 * (`work`), kept in the append's transaction. A purged file leaves nothing: its rows, passages
 * and previews go with the event.
 */
export const documents = projection<DocumentEvent, Database>()({
  name: 'documents',
  handles: Object.values(T),
  async evolve(trx, event) {
    await evolveDocuments(trx, event);
    // search's row follows whatever changed (a purge took it with the document)
    if (event.type !== T.DocumentPurged) await refreshSearchDoc(trx, event.data.fileId);
  },
  async reset(trx) {
    // passages and previews are readings, not facts of the log: a rebuild keeps them (a purge
    // in the replay drops its file's again; the indexer replaces the rest as it reads); search's
    // rows go with the documents (cascade) and come back with them
    await trx.deleteFrom('insights.work').execute();
    await trx.deleteFrom('insights.tags').execute();
    await trx.deleteFrom('insights.versions').execute();
    await trx.deleteFrom('insights.documents').execute();
  },
});

/**
 * Recomputes the file's row in search_docs from documents, versions, tags and passages (the
 * migration's insights.refresh_search_docs): after any event, and after the indexer writes a
 * reading's passages.
 */
export async function refreshSearchDoc(trx: Kysely<Database>, fileId: string): Promise<void> {
  await sql`select insights.refresh_search_docs(array[${fileId}]::uuid[])`.execute(trx);
}

async function evolveDocuments(trx: Transaction<Database>, event: RecordedEvent<DocumentEvent>): Promise<void> {
  const at = event.occurredAt;
  switch (event.type) {
    case T.DocumentVersionNoted: {
      const d = event.data;
      await trx
        .insertInto('insights.documents')
        .values({ file_id: d.fileId, owner_id: d.ownerId, name: d.name, current_version: d.version, status: 'active', updated_at: at })
        .onConflict((c) => c.column('file_id').doUpdateSet({ current_version: sql`greatest(insights.documents.current_version, excluded.current_version)`, updated_at: at }))
        .execute();
      await trx
        .insertInto('insights.versions')
        .values({ file_id: d.fileId, version: d.version, content_type: d.contentType, size: d.size, sha256: d.sha256, created_at: new Date(d.createdAt), status: 'pending', keywords: '[]', entities: '[]' })
        .onConflict((c) => c.columns(['file_id', 'version']).doNothing())
        .execute();
      await trx.insertInto('insights.work').values({ file_id: d.fileId, version: d.version, due_at: at }).onConflict((c) => c.columns(['file_id', 'version']).doNothing()).execute();
      return;
    }
    case T.DocumentRenamed:
      await trx.updateTable('insights.documents').set({ name: event.data.name, updated_at: at }).where('file_id', '=', event.data.fileId).execute();
      return;
    case T.DocumentTrashed:
      await trx.updateTable('insights.documents').set({ status: 'trashed', updated_at: at }).where('file_id', '=', event.data.fileId).execute();
      return;
    case T.DocumentRestored:
      await trx.updateTable('insights.documents').set({ status: 'active', updated_at: at }).where('file_id', '=', event.data.fileId).execute();
      return;
    case T.DocumentPurged: {
      const id = event.data.fileId;
      await trx.deleteFrom('insights.work').where('file_id', '=', id).execute();
      await trx.deleteFrom('insights.passages').where('file_id', '=', id).execute();
      await trx.deleteFrom('insights.previews').where('file_id', '=', id).execute();
      // versions and tags go by cascade
      await trx.deleteFrom('insights.documents').where('file_id', '=', id).execute();
      return;
    }
    case T.DocumentIndexed: {
      const d = event.data;
      await trx
        .updateTable('insights.versions')
        .set({
          status: 'indexed',
          reason: null,
          transient: false,
          attempts: 0,
          retry_at: null,
          extractor_version: d.extractorVersion,
          format: d.format,
          language: d.language,
          pages: d.pages,
          ocr_pages: d.ocrPages,
          chars: d.chars,
          truncated: d.truncated,
          summary: d.summary,
          keywords: JSON.stringify(d.keywords),
          entities: JSON.stringify(d.entities),
          indexed_at: new Date(d.indexedAt),
        })
        .where('file_id', '=', d.fileId)
        .where('version', '=', d.version)
        .execute();
      await trx.deleteFrom('insights.work').where('file_id', '=', d.fileId).where('version', '=', d.version).execute();
      return;
    }
    case T.DocumentIndexFailed: {
      const d = event.data;
      const failure = { reason: d.reason, transient: d.transient, attempts: d.attempts, retry_at: d.retryAt ? new Date(d.retryAt) : null };
      // a version read before keeps its reading (and stays searchable) when a re-read fails:
      // only one never read is failed
      await trx
        .updateTable('insights.versions')
        .set(failure)
        .where('file_id', '=', d.fileId)
        .where('version', '=', d.version)
        .where('indexed_at', 'is not', null)
        .execute();
      await trx
        .updateTable('insights.versions')
        .set({ ...failure, status: 'failed', extractor_version: d.extractorVersion })
        .where('file_id', '=', d.fileId)
        .where('version', '=', d.version)
        .where('indexed_at', 'is', null)
        .execute();
      if (d.retryAt) {
        await trx
          .insertInto('insights.work')
          .values({ file_id: d.fileId, version: d.version, due_at: new Date(d.retryAt) })
          .onConflict((c) => c.columns(['file_id', 'version']).doUpdateSet({ due_at: new Date(d.retryAt!), lease_until: null }))
          .execute();
      } else {
        await trx.deleteFrom('insights.work').where('file_id', '=', d.fileId).where('version', '=', d.version).execute();
      }
      return;
    }
    case T.DocumentTagsSuggested: {
      const d = event.data;
      // suggestions the user has not decided are replaced; decided ones stay
      await trx.deleteFrom('insights.tags').where('file_id', '=', d.fileId).where('accepted', 'is', null).execute();
      if (d.tags.length > 0) {
        await trx
          .insertInto('insights.tags')
          .values(d.tags.map((t) => ({ file_id: d.fileId, name: t.name, source: t.source, why: t.why, accepted: null })))
          .onConflict((c) => c.columns(['file_id', 'name']).doNothing())
          .execute();
      }
      return;
    }
    case T.DocumentTagDecided:
      await trx.updateTable('insights.tags').set({ accepted: event.data.accepted }).where('file_id', '=', event.data.fileId).where('name', '=', event.data.name).execute();
      return;
    case T.DocumentIndexRetryRequested: {
      const d = event.data;
      await trx.updateTable('insights.versions').set({ status: 'pending', reason: null, transient: false, attempts: 0, retry_at: null }).where('file_id', '=', d.fileId).where('version', '=', d.version).execute();
      await trx
        .insertInto('insights.work')
        .values({ file_id: d.fileId, version: d.version, due_at: at })
        .onConflict((c) => c.columns(['file_id', 'version']).doUpdateSet({ due_at: at, lease_until: null }))
        .execute();
      return;
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** Every read model of the insights service, kept in the append's transaction and rebuilt from the log. */
export const projections = [documents] as const;
