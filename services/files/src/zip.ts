import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { ZipFile } from 'yazl';
import type { Database } from './db/schema.js';
import { freeName, nameKey } from './domain/file/names.js';
import type { BulkItem } from './bulk.js';
import { useNativeCrc32ForYazl } from './zip-crc.js';

// yazl's CRC-32 in C rather than JavaScript: the largest cost per byte of a stored archive (zip-crc.ts)
useNativeCrc32ForYazl();

/** One member of the archive: a file's latest version, or a folder (empty ones too). */
export type ZipMember =
  | { kind: 'file'; path: string; blobName: string; size: number; modifiedAt: Date }
  | { kind: 'folder'; path: string; modifiedAt: Date }
  /** Bytes made for the archive itself (an export's activity.json). */
  | { kind: 'bytes'; path: string; bytes: Buffer; modifiedAt: Date };

export interface ZipPlan {
  members: ZipMember[];
  /** The items named that are not the caller's live files and folders. */
  missing: BulkItem[];
  /** Files whose latest version is in the archive tier: they cannot be read now. */
  archived: string[];
}

// Characters Windows refuses in a file name (and so Explorer's and 7-Zip's extraction there);
// names never hold `/`, `\` or controls (validateFileName)
const WINDOWS_RESERVED = /[<>:"|?*]/g;
const DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;

/**
 * A name as it goes into the archive: the name the UI shows, with the few characters that would
 * stop it being extracted on Windows replaced by `_` (`<>:"|?*`, a trailing dot, a device name
 * such as `CON` or `nul.txt`, which gets a leading `_`). Everything else, Unicode included, stays
 * as it is (the archive says its names are UTF-8).
 */
export function archiveName(name: string): string {
  let safe = name.replace(WINDOWS_RESERVED, '_').replace(/\.$/, '_');
  if (DEVICE_NAMES.test(safe)) safe = `_${safe}`;
  return safe;
}

/**
 * Names unique within each folder of the archive, compared as names in a folder are (`nameKey`:
 * case-insensitive after Unicode normalisation, so the archive extracts whole on a file system
 * that ignores case): two items of the same name at its top (from two folders), or two names
 * that became one by `archiveName`, keep both as "name (2).ext".
 */
export class ArchiveNames {
  private readonly taken = new Map<string, Set<string>>();

  /** The member's path in the archive, below `dir` ('' for the top). */
  place(dir: string, name: string, kind: 'file' | 'folder'): string {
    let used = this.taken.get(dir);
    if (!used) this.taken.set(dir, (used = new Set()));
    const free = freeName(archiveName(name), used, kind);
    used.add(nameKey(free));
    return `${dir}${free}`;
  }
}

type FileLine = { file_id: string; name: string; folder_id: string | null; updated_at: Date; blob_name: string; size: string; tier: string };

/** The latest version of each of these files of the owner, outside the trash. */
async function filesOf(db: Kysely<Database>, ownerId: string, where: { fileIds: string[] } | { folderIds: string[] }): Promise<FileLine[]> {
  const ids = 'fileIds' in where ? where.fileIds : where.folderIds;
  if (ids.length === 0) return [];
  const column = 'fileIds' in where ? sql.ref('f.file_id') : sql.ref('f.folder_id');
  const { rows } = await sql<FileLine>`
    select f.file_id, f.name, f.folder_id, f.updated_at, v.blob_name, v.size, v.tier
      from files.files f join files.versions v on v.file_id = f.file_id and v.version = f.version
     where f.owner_id = ${ownerId} and f.status = 'active' and ${column} = any(${ids}::uuid[])
     order by f.name_key, f.file_id`.execute(db);
  return rows;
}

/**
 * What a ZIP of these items holds, read before a byte is sent: each file named, and each folder
 * named with every live folder and file below it, at paths of the names the UI shows. An item
 * inside a folder also named is there once, in its folder. Anything not the caller's (or in the
 * trash) is `missing`; the route refuses the whole request then (an archive silently short of
 * an item would look complete).
 */
export async function planZip(db: Kysely<Database>, ownerId: string, items: readonly BulkItem[], maxEntries: number): Promise<ZipPlan | 'too-large'> {
  const fileIds = [...new Set(items.filter((i) => i.kind === 'file').map((i) => i.id))];
  const folderIds = [...new Set(items.filter((i) => i.kind === 'folder').map((i) => i.id))];
  const folders = folderIds.length === 0 ? [] : await db.selectFrom('files.folders').select(['folder_id', 'name', 'parent_id', 'updated_at']).where('owner_id', '=', ownerId).where('status', '=', 'active').where('folder_id', 'in', folderIds).execute();
  const files = await filesOf(db, ownerId, { fileIds });
  const found = new Set([...folders.map((f) => f.folder_id), ...files.map((f) => f.file_id)]);
  const missing = items.filter((i) => !found.has(i.id));
  if (missing.length > 0) return { members: [], missing, archived: [] };

  // every live folder below the folders named, with its parent; the named ones are the roots
  const { rows: tree } = await sql<{ folder_id: string; name: string; parent_id: string | null; updated_at: Date; top: string; depth: number }>`
    with recursive down as (
      select folder_id, name, parent_id, updated_at, folder_id as top, 0 as depth from files.folders
       where owner_id = ${ownerId} and status = 'active' and folder_id = any(${folderIds}::uuid[])
      union all
      select f.folder_id, f.name, f.parent_id, f.updated_at, down.top, down.depth + 1 from files.folders f join down on f.parent_id = down.folder_id
       where f.status = 'active' and down.depth < 1000
    )
    select folder_id, name, parent_id, updated_at, top, depth from down order by depth, name`.execute(db);
  // a folder named inside another one named is already in the archive, in that one
  const named = new Set(folderIds);
  const inside = new Set(tree.filter((f) => f.depth > 0 && named.has(f.folder_id)).map((f) => f.folder_id));
  const below = tree.filter((f) => !inside.has(f.top));
  const included = new Set(below.map((f) => f.folder_id));
  if (below.length + files.length > maxEntries) return 'too-large';
  const contents = await filesOf(db, ownerId, { folderIds: [...included] });
  if (below.length + files.length + contents.length > maxEntries) return 'too-large';

  const names = new ArchiveNames();
  const paths = new Map<string, string>();
  const members: ZipMember[] = [];
  for (const f of below) {
    const dir = f.depth === 0 ? '' : `${paths.get(f.parent_id!)}/`;
    const path = names.place(dir, f.name, 'folder');
    paths.set(f.folder_id, path);
    members.push({ kind: 'folder', path, modifiedAt: f.updated_at });
  }
  const member = (f: FileLine, dir: string): ZipMember => ({ kind: 'file', path: names.place(dir, f.name, 'file'), blobName: f.blob_name, size: Number(f.size), modifiedAt: f.updated_at });
  for (const f of contents) members.push(member(f, `${paths.get(f.folder_id!)}/`));
  // a file named that lies in a folder named is there already; of two named alike, the one named first keeps its name
  const order = new Map(items.map((item, i) => [item.id, i]));
  files.sort((x, y) => order.get(x.file_id)! - order.get(y.file_id)!);
  for (const f of files) if (f.folder_id === null || !included.has(f.folder_id)) members.push(member(f, ''));
  const archived = [...contents, ...files].filter((f) => f.tier === 'Archive').map((f) => f.file_id);
  return { members, missing: [], archived };
}

/**
 * The archive as a stream, members one after the other, each blob read as the archive is read
 * (yazl pipes one member at a time with backpressure): memory stays that of a few chunks,
 * whatever the sizes. Stored, not deflated (see the README: documents are mostly compressed
 * already, and stored members give the exact length before a byte is sent). ZIP64 records are
 * written where a size or an offset passes 4 GiB, and only there.
 */
export function zipStream(app: FastifyInstance, members: readonly ZipMember[], onError: (error: unknown) => void): { stream: Readable; length: Promise<number> } {
  const zip = new ZipFile();
  for (const m of members) {
    if (m.kind === 'folder') {
      zip.addEmptyDirectory(m.path, { mtime: m.modifiedAt });
      continue;
    }
    if (m.kind === 'bytes') {
      zip.addBuffer(m.bytes, m.path, { compress: false, mtime: m.modifiedAt });
      continue;
    }
    zip.addReadStreamLazy(m.path, { size: m.size, compress: false, mtime: m.modifiedAt }, (done) => {
      app.blobs
        .getBlockBlobClient(m.blobName)
        .download(0, undefined, { maxRetryRequests: 3 })
        .then(
          (download) => {
            const body = download.readableStreamBody!;
            // pipe() does not pass a source's error on: without this a blob read cut short would stall the archive
            body.once('error', onError);
            done(null, body);
          },
          (error: unknown) => done(error, undefined as never),
        );
    });
  }
  zip.on('error', onError);
  // @types/yazl leaves out the callback's argument: the total length, -1 when it cannot be known
  const end = zip.end.bind(zip) as (options: { forceZip64Format: boolean; comment: string }, calculated: (total: number) => void) => void;
  const length = new Promise<number>((resolve) => end({ forceZip64Format: false, comment: '' }, resolve));
  return { stream: zip.outputStream as Readable, length };
}
