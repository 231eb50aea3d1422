import { FileEventTypes, FolderEventTypes } from '@strata/contracts';
import type { Projection, RecordedEvent } from '@strata/event-store';
import { type Transaction, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import { type FileEvent, type FileState, evolveFile, initialFileState } from '../domain/file/file.js';
import { nameKey } from '../domain/file/names.js';
import { type FolderEvent, type FolderState, evolveFolder, initialFolderState } from '../domain/folder/folder.js';
import { type Dated, advance } from '../domain/history.js';

type Trx = Transaction<Database>;
type Row = Record<string, string | number | boolean | Date | null>;

/**
 * A history read model (time travel): every event of a stream folds, with the aggregate's own
 * evolve, onto the state kept on the entity's open row; the open row closes at the event's moment
 * and a new one opens with the new state. Events of one moment (a move that renames) share one row.
 * It handles every event type of its aggregate: one added later is told by evolve alone, and
 * `columns` says what a listing shows of a state.
 */
function history<E extends FileEvent | FolderEvent, S extends { status: string }>(spec: {
  name: string;
  handles: readonly E['type'][];
  table: 'files.file_history' | 'files.folder_history';
  key: 'file_id' | 'folder_id';
  idOf: (event: E) => string;
  evolve: (state: S, event: E) => S;
  initial: S;
  columns: (state: Exclude<S, { status: 'none' }>) => Row;
}): Projection<E, Database> {
  const table = sql.table(spec.table);
  const key = sql.ref(spec.key);
  return {
    name: spec.name,
    handles: spec.handles,
    async evolve(trx: Trx, event: RecordedEvent<E>) {
      const id = spec.idOf(event);
      const { rows } = await sql<{ state: S; valid_from: Date }>`
        select state, valid_from from ${table} where ${key} = ${id}::uuid and valid_to = 'infinity' for update`.execute(trx);
      const open = rows[0];
      const previous: Dated<S> | undefined = open ? { state: open.state, validFrom: open.valid_from } : undefined;
      const next = advance(spec.evolve, spec.initial, previous, event);
      if (next.state.status === 'none') return;
      const values: Row = { ...spec.columns(next.state as Exclude<S, { status: 'none' }>), revision: event.streamVersion };
      const names = Object.keys(values);
      const state = JSON.stringify(next.state);
      if (open && open.valid_from.getTime() === next.validFrom.getTime()) {
        const set = sql.join(names.map((n) => sql`${sql.ref(n)} = ${values[n]}`));
        await sql`update ${table} set ${set}, state = ${state}::jsonb where ${key} = ${id}::uuid and valid_from = ${next.validFrom}`.execute(trx);
        return;
      }
      if (open) await sql`update ${table} set valid_to = ${next.validFrom}, state = null where ${key} = ${id}::uuid and valid_from = ${open.valid_from}`.execute(trx);
      await sql`
        insert into ${table} (${key}, valid_from, ${sql.join(names.map((n) => sql.ref(n)))}, state)
        values (${id}::uuid, ${next.validFrom}, ${sql.join(names.map((n) => sql`${values[n]}`))}, ${state}::jsonb)`.execute(trx);
    },
    async reset(trx: Trx) {
      await sql`delete from ${table}`.execute(trx);
    },
  };
}

const at = (iso: string | null) => (iso === null ? null : new Date(iso));

/** Every file's states through time, from `files`' own evolve. */
export const fileHistory: Projection<FileEvent, Database> = history<FileEvent, FileState>({
    name: 'file-history',
    handles: Object.values(FileEventTypes),
    table: 'files.file_history',
    key: 'file_id',
    idOf: (e) => e.data.fileId,
    evolve: evolveFile,
    initial: initialFileState,
    columns: (s) => {
      const latest = s.versions.at(-1)!;
      return {
        owner_id: s.ownerId,
        status: s.status,
        name: s.name,
        name_key: nameKey(s.name),
        folder_id: s.folderId,
        size: latest.size,
        content_type: latest.contentType,
        sha256: latest.sha256,
        version: latest.version,
        tier: s.tier,
        created_at: at(s.createdAt),
        updated_at: at(s.updatedAt),
        trashed_at: at(s.trashedAt),
        trashed_with: s.trashedWith,
        rehydrating_since: at(s.rehydration?.requestedAt ?? null),
        starred: s.starred,
      };
    },
});

/** Every folder's states through time, from the folder's own evolve. */
export const folderHistory: Projection<FolderEvent, Database> = history<FolderEvent, FolderState>({
    name: 'folder-history',
    handles: Object.values(FolderEventTypes),
    table: 'files.folder_history',
    key: 'folder_id',
    idOf: (e) => e.data.folderId,
    evolve: evolveFolder,
    initial: initialFolderState,
    columns: (s) => ({
      owner_id: s.ownerId,
      status: s.status,
      name: s.name,
      name_key: nameKey(s.name),
      parent_id: s.parentId,
      created_at: at(s.createdAt),
      updated_at: at(s.updatedAt),
      trashed_at: at(s.trashedAt),
      trashed_with: s.trashedWith,
      starred: s.starred,
    }),
});
