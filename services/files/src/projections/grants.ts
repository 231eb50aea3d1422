import { FileEventTypes as T } from '@strata/contracts';
import { projection } from '@strata/event-store';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { FileEvent } from '../domain/file/file.js';

/** Which partner clients may read which file (`grants`); a purged file is shared with nobody. */
export const grants = projection<FileEvent, Database>()({
  name: 'grants',
  handles: [T.FileShared, T.FileUnshared, T.FilePurged],
  async evolve(trx, event) {
    switch (event.type) {
      case T.FileShared: {
        const d = event.data;
        await trx
          .insertInto('files.grants')
          .values({ file_id: d.fileId, client_id: d.clientId, owner_id: d.ownerId, granted_at: new Date(d.sharedAt) })
          .onConflict((c) => c.columns(['file_id', 'client_id']).doNothing())
          .execute();
        return;
      }
      case T.FileUnshared:
        await trx.deleteFrom('files.grants').where('file_id', '=', event.data.fileId).where('client_id', '=', event.data.clientId).execute();
        return;
      case T.FilePurged:
        await trx.deleteFrom('files.grants').where('file_id', '=', event.data.fileId).execute();
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  },
  async reset(trx) {
    await trx.deleteFrom('files.grants').execute();
  },
});

/** The partner clients a file is shared with, oldest grant first. */
export async function grantsOf(db: Kysely<Database>, fileId: string) {
  const rows = await db.selectFrom('files.grants').selectAll().where('file_id', '=', fileId).orderBy('granted_at').execute();
  return rows.map((g) => ({ clientId: g.client_id, grantedAt: g.granted_at.toISOString() }));
}

/** Every grant an owner gave, with the file's name, newest first (at most 500: a person shares a handful). */
export async function grantsByOwner(db: Kysely<Database>, ownerId: string) {
  const rows = await db
    .selectFrom('files.grants as g')
    .innerJoin('files.files as f', 'f.file_id', 'g.file_id')
    .select(['g.file_id', 'g.client_id', 'g.granted_at', 'f.name', 'f.status'])
    .where('g.owner_id', '=', ownerId)
    .orderBy('g.granted_at', 'desc')
    .limit(500)
    .execute();
  return rows.map((g) => ({ fileId: g.file_id, fileName: g.name, fileStatus: g.status, clientId: g.client_id, grantedAt: g.granted_at.toISOString() }));
}
