import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Caller, callerOf, metadataOf } from '../caller.js';
import { accessibleFolder, visibleCrumbs } from '../access.js';
import type { Config } from '../config.js';
import { folderNotFound, ownerOnly, toHttpError } from '../errors.js';
import { breadcrumbsOf, childrenOf, folderInfoOf, liveFolder, starredOf, toFolderInfo, trashedFolders } from '../projections/folder-queries.js';
import { parseAsOf } from '../projections/as-of.js';
import { fileInfoOf, listFiles } from '../projections/queries.js';
import {
  Children,
  ChildrenParams,
  ChildrenQuery,
  CreateFolderBody,
  EntryList,
  FileIdParams,
  FileInfo,
  FileList,
  FolderIdParams,
  FolderInfo,
  IfMatchHeaders,
  PageQuery,
  RecentQuery,
  RestoreQuery,
  RestoreToBody,
  RestoredTo,
  TrashedFolderList,
  UpdateFolderBody,
  problems,
} from '../schemas/index.js';
import { folderOperationsOf } from '../folder-operations.js';
import { type TreeRequest, treeOf } from '../tree.js';
import { idempotencyKey, parseIfMatch, runOrMap } from './files.js';
import type { Static } from '@sinclair/typebox';
import { pastReadable } from '../plugins/core.js';

/**
 * Folders (create, rename, move, trash with everything inside, restore), a folder's entries with
 * breadcrumbs, stars on files and folders, the starred and recent views. Every route acts for the
 * caller's own drive only: another owner's folder is a 404, whether it is read, changed, moved
 * into or listed.
 */
/**
 * Where a restore-to's Idempotency-Key is kept, beside uploads' keys in files.idempotency: a
 * header's value never holds a line break, so no upload's key can be it.
 */
const restoreToKey = (key: string) => `restore-to\n${key}`;

export async function folderRoutes(app: FastifyInstance, opts: { config: Config }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const read = app.requireScopes('files:read');
  const write = app.requireScopes('files:write');
  const security = [{ bearer: [] }];
  const tree = treeOf(app, opts.config);
  const operations = folderOperationsOf(app, opts.config);
  const treeRequest = (request: FastifyRequest, caller: Caller): TreeRequest => ({ ownerId: caller.ownerId, metadata: metadataOf(request, caller), now: app.clock.now() });
  const mapped = async <T>(work: () => Promise<T>, ifMatch = false): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toHttpError(error, ifMatch);
    }
  };

  r.post(
    '/api/v1/folders',
    {
      preHandler: write,
      schema: {
        summary: 'Create a folder (at the root, or in parentId)',
        description:
          'Names follow the file name rules and are unique in their folder, compared case-insensitively after Unicode normalisation (409 name-taken). A parent that is not yours is a 404; too deep a 422 folder-too-deep; a full parent a 422 folder-full.',
        tags: ['folders'],
        security,
        body: CreateFolderBody,
        response: { 201: FolderInfo, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const id = await mapped(() => tree.createFolder(treeRequest(request, caller), request.body.name, request.body.parentId ?? null));
      const info = await folderInfoOf(app.db, id);
      return reply.code(201).header('location', `/api/v1/folders/${id}`).header('etag', `"${info.revision}"`).send(info);
    },
  );

  r.get(
    '/api/v1/folders/:id',
    {
      preHandler: read,
      schema: { summary: 'One folder; the ETag is its revision, for If-Match', tags: ['folders'], security, params: FolderIdParams, response: { 200: FolderInfo, ...problems(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const found = await accessibleFolder(app.db, callerOf(request), request.params.id, 'read');
      if (!found) throw folderNotFound();
      const row = found.folder;
      reply.header('etag', `"${row.revision}"`).header('cache-control', found.access.via === 'owner' ? 'private, no-cache' : 'no-store');
      return toFolderInfo(row);
    },
  );

  r.patch(
    '/api/v1/folders/:id',
    {
      preHandler: write,
      schema: {
        summary: 'Rename a folder, move it (parentId; null: the root), or both; send If-Match with its ETag to refuse a stale change (412)',
        description: 'Moving a folder into itself or one of its own folders is a 409 folder-cycle; a name taken where it goes a 409 name-taken; a target that is not yours a 404.',
        tags: ['folders'],
        security,
        params: FolderIdParams,
        headers: IfMatchHeaders,
        body: UpdateFolderBody,
        response: { 200: FolderInfo, ...problems(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const ifMatch = parseIfMatch(request.headers['if-match']);
      const found = await accessibleFolder(app.db, caller, request.params.id, 'write');
      if (!found) throw folderNotFound();
      // an editor renames; where a folder sits in the owner's drive is the owner's to say
      if (found.access.via !== 'owner' && request.body.parentId !== undefined) throw ownerOnly('move it to another folder');
      await mapped(() => tree.updateFolder({ ...treeRequest(request, caller), ownerId: found.access.ownerId }, request.params.id, request.body, ifMatch), ifMatch !== undefined);
      const info = await folderInfoOf(app.db, request.params.id);
      reply.header('etag', `"${info.revision}"`);
      return info;
    },
  );

  r.delete(
    '/api/v1/folders/:id',
    {
      preHandler: write,
      schema: {
        summary: 'Move a folder to the trash, with every folder and file inside it',
        description:
          'In batches of FOLDER_BATCH_SIZE (100) files and folders, one short transaction each: while it goes, the folder reads pending: "trash". 204 once all is in the trash; 202 with the folder (pending: "trash") when it takes longer than FOLDER_OPERATION_ANSWER_MS (10 s): it goes on, and GET /trash/folders shows pending: null once it is over. A retry while it is pending carries it on; a process that dies mid-way leaves it to the jobs, which carry it on.',
        tags: ['folders'],
        security,
        params: FolderIdParams,
        response: { 202: FolderInfo, 204: { type: 'null' }, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      // an editor's trash is the owner's: the folder and all inside go to the owner's trash
      const found = await accessibleFolder(app.db, caller, request.params.id, 'write');
      if (!found) throw folderNotFound();
      const outcome = await mapped(() => operations.trash({ ...treeRequest(request, caller), ownerId: found.access.ownerId }, request.params.id));
      if (outcome === 'accepted') return reply.code(202).send(await folderInfoOf(app.db, request.params.id));
      return reply.code(204).send();
    },
  );

  r.post(
    '/api/v1/folders/:id/restore',
    {
      preHandler: write,
      schema: {
        summary: 'Take a folder out of the trash, back where it was, with what was trashed with it',
        description:
          'Missing parents (folders in the trash) are restored too, alone. A name taken meanwhile where it goes back: onClash=keep-both (default) restores it as "name (2)"; onClash=replace puts what holds the name in the trash. The folder comes back first, then what went with it, in batches (pending: "restore" until the last). 200 once all is back; 202 with the folder (pending: "restore") when it takes longer than FOLDER_OPERATION_ANSWER_MS (10 s): it goes on, and GET /folders/{id} shows pending: null once it is over.',
        tags: ['folders'],
        security,
        params: FolderIdParams,
        querystring: RestoreQuery,
        response: { 200: FolderInfo, 202: FolderInfo, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const outcome = await mapped(() => operations.restore(treeRequest(request, caller), request.params.id, request.query.onClash));
      return reply.code(outcome === 'accepted' ? 202 : 200).send(await folderInfoOf(app.db, request.params.id));
    },
  );

  r.post(
    '/api/v1/folders/:id/restore-to',
    {
      preHandler: write,
      schema: {
        summary: 'Restore a folder to how it was at a past moment, as one command',
        description:
          'Everything that was inside the folder at `asOf` gets back its name, place and trash state of then; what is inside now and was not then goes to the trash (restorable from there). The folder keeps its place and gets its name of then (as "name (2)" if that is taken there now), out of the trash if it is in it. Content is not rewound: each file keeps its current version. Files purged since cannot come back: `notRestored` names them. Running it again changes nothing more; send an Idempotency-Key to get the first answer again. A folder that did not exist then, or was in the trash, is a 409 not-there-then.',
        tags: ['folders'],
        security,
        params: FolderIdParams,
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 200 } } },
        body: RestoreToBody,
        response: { 200: RestoredTo, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const key = idempotencyKey(request.headers['idempotency-key']);
      const stored = key === undefined ? undefined : await app.db.selectFrom('files.idempotency').select('response').where('owner_id', '=', caller.ownerId).where('key', '=', restoreToKey(key)).executeTakeFirst();
      if (stored) return stored.response as Static<typeof RestoredTo>;
      const asOf = parseAsOf(request.body.asOf, app.clock.now());
      pastReadable(app);
      const folderId = request.params.id;
      // a folder's trash or restore in batches is finished first: restore-to must not cross one
      await operations.settleOwner(caller.ownerId);
      const result = await mapped(() => tree.restoreTo(treeRequest(request, caller), folderId, asOf));
      const answer = { folder: await folderInfoOf(app.db, folderId), asOf: asOf.toISOString(), ...result };
      if (key !== undefined) {
        // keys of uploads and of restores live side by side: the prefix keeps them apart
        await app.db
          .insertInto('files.idempotency')
          .values({ owner_id: caller.ownerId, key: restoreToKey(key), file_id: folderId, response: JSON.stringify(answer), created_at: app.clock.now() })
          .onConflict((c) => c.columns(['owner_id', 'key']).doNothing())
          .execute();
      }
      return answer;
    },
  );

  r.get(
    '/api/v1/folders/:id/children',
    {
      preHandler: read,
      schema: {
        summary: "A folder's entries (`root`: the top of the drive): folders first, then files, one page at a time",
        description: 'With ?asOf=: the entries it held at that moment, as they were then (names, versions, stars), and its breadcrumbs then; a folder that did not exist then, or was in the trash, is a 404.',
        tags: ['folders'],
        security,
        params: ChildrenParams,
        querystring: ChildrenQuery,
        response: { 200: Children, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const asOf = request.query.asOf === undefined ? undefined : parseAsOf(request.query.asOf, app.clock.now());
      if (asOf) pastReadable(app);
      const id = request.params.id === 'root' ? null : request.params.id;
      // a folder shared with the caller (or inside one) is listed now, as its owner's; its past is the owner's alone
      const shared = id !== null && !asOf ? await accessibleFolder(app.db, caller, id, 'read') : undefined;
      const access = shared?.access;
      const ownerId = access?.ownerId ?? caller.ownerId;
      // as of a moment: a folder that was not there then (or was in the trash) is not found
      const folder = id === null ? undefined : (shared?.folder ?? (await liveFolder(app.db, caller.ownerId, id, asOf)));
      if (id !== null && !folder) throw folderNotFound();
      reply.header('cache-control', !access || access.via === 'owner' ? 'private, no-cache' : 'no-store');
      const page = await mapped(() => childrenOf(app.db, ownerId, id, request.query, asOf));
      const crumbs = id === null ? [] : await breadcrumbsOf(app.db, id, asOf);
      // a recipient sees the path from the shared folder down, never the owner's folders above it
      const breadcrumbs = access ? visibleCrumbs(crumbs, access) : crumbs;
      return { folder: folder ? toFolderInfo(folder) : null, breadcrumbs, ...page, ...(asOf ? { asOf: asOf.toISOString() } : {}) };
    },
  );

  r.get(
    '/api/v1/trash/folders',
    {
      preHandler: read,
      schema: {
        summary: 'The folders you put in the trash (not those that went with one), most recently deleted first',
        tags: ['trash'],
        security,
        querystring: PageQuery,
        response: { 200: TrashedFolderList, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'private, no-cache');
      return mapped(() => trashedFolders(app.db, callerOf(request).ownerId, request.query));
    },
  );

  for (const method of ['PUT', 'DELETE'] as const) {
    const star = method === 'PUT';
    r.route({
      method,
      url: '/api/v1/folders/:id/star',
      preHandler: write,
      schema: { summary: star ? 'Star a folder' : 'Take the star off a folder', tags: ['stars'], security, params: FolderIdParams, response: { 200: FolderInfo, ...problems(400, 401, 403, 404) } },
      handler: async (request) => {
        const caller = callerOf(request);
        const { id } = request.params;
        const data = { ownerId: caller.ownerId, now: app.clock.now() };
        await mapped(() => app.folderCommands.handle(id, star ? { type: 'StarFolder', data } : { type: 'UnstarFolder', data }, { metadata: metadataOf(request, caller) }));
        return folderInfoOf(app.db, id);
      },
    });
    r.route({
      method,
      url: '/api/v1/files/:id/star',
      preHandler: write,
      schema: { summary: star ? 'Star a file' : 'Take the star off a file', tags: ['stars'], security, params: FileIdParams, response: { 200: FileInfo, ...problems(400, 401, 403, 404) } },
      handler: async (request) => {
        const caller = callerOf(request);
        const { id } = request.params;
        const data = { ownerId: caller.ownerId, now: app.clock.now() };
        await runOrMap(app, id, star ? { type: 'StarFile', data } : { type: 'UnstarFile', data }, request, caller);
        return fileInfoOf(app.db, id);
      },
    });
  }

  r.get(
    '/api/v1/starred',
    {
      preHandler: read,
      schema: {
        summary: 'What you starred, outside the trash: folders, then files, most recently starred first',
        tags: ['stars'],
        security,
        querystring: RecentQuery,
        response: { 200: EntryList, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'private, no-cache');
      return mapped(() => starredOf(app.db, callerOf(request).ownerId, request.query));
    },
  );

  r.get(
    '/api/v1/recent',
    {
      preHandler: read,
      schema: {
        summary: 'Your files in every folder, most recently changed first (uploads, versions, renames and moves count)',
        tags: ['files'],
        security,
        querystring: RecentQuery,
        response: { 200: FileList, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'private, no-cache');
      return mapped(() => listFiles(app.db, callerOf(request), { ...request.query, sort: '-updatedAt' }));
    },
  );
}
