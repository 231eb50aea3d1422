import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, httpError, isConnectionError } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CommandResult } from '@strata/event-store';
import { type Caller, callerOf, metadataOf } from '../caller.js';
import type { Config } from '../config.js';
import { blobNameFor } from '../domain/file/file.js';
import { InvalidNameError, validateFileName } from '../domain/file/names.js';
import { folderNotFound, invalidName, notFound, ownerOnly, toHttpError } from '../errors.js';
import type { FileCommand } from '../domain/file/decide.js';
import type { FileEvent, FileState } from '../domain/file/file.js';
import { fileAsOf, fileVersionsAsOf, parseAsOf } from '../projections/as-of.js';
import { liveFolder } from '../projections/folder-queries.js';
import { fileInfoOf, findReadable, listFiles, rehydrationOf, toFileInfo, versionsOf } from '../projections/queries.js';
import { treeOf } from '../tree.js';
import { checkQuota, quotaUse } from '../quota.js';
import { AsOfQuery, FileAsOf, FileIdParams, FileInfo, FileList, Id, IfMatchHeaders, ListQuery, RenameBody, VersionList, problems } from '../schemas/index.js';
import { Type } from '@sinclair/typebox';
import { multipartFile } from '../upload/body.js';
import { type Ingested, blockBlob, discard, ingest } from '../upload/ingest.js';
import { pastReadable } from '../plugins/core.js';
import { accessibleFile, accessibleFolder } from '../access.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UploadQuery = Type.Object({ folderId: Type.Optional(Id) }, { additionalProperties: false });

/** The folder an upload goes to: the query's or the form field's (they must agree); undefined for the root. */
function uploadFolder(fromQuery: string | undefined, fromField: string | undefined): string | undefined {
  if (fromField !== undefined && !UUID.test(fromField)) throw httpError(400, 'The form field folderId must be a folder id (a lower-case UUID).');
  if (fromQuery !== undefined && fromField !== undefined && fromQuery !== fromField) throw httpError(400, 'The query and the form name two different folders.');
  return fromQuery ?? fromField;
}

class IdempotencyReplay extends Error {}

export async function fileRoutes(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(multipart, {
    limits: { files: 1, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 100, fileSize: config.MAX_UPLOAD_BYTES + 1 },
    throwFileSizeLimit: false,
    // keep the name as sent: busboy would strip "../" silently, and a hostile name must be refused, not repaired
    preservePath: true,
  });
  const read = app.requireScopes('files:read');
  const write = app.requireScopes('files:write');
  const security = [{ bearer: [] }];
  const tree = treeOf(app, config);

  /** Streams a multipart file into its blob; a refusal (too large, over quota, a cut or malformed body) leaves nothing staged. */
  async function ingestFor(request: FastifyRequest, ownerId: string, blobName: string, source: AsyncIterable<Buffer>): Promise<Ingested> {
    try {
      return await ingest(blockBlob(app.blobs, blobName), source, {
        blockBytes: config.BLOCK_BYTES,
        maxBytes: config.MAX_UPLOAD_BYTES,
        quotaBytes: config.QUOTA_BYTES,
        // the owner's quota, whoever sends the bytes (an editor of a shared folder too)
        ...(await quotaUse(app.db, ownerId, app.clock.now())),
      });
    } catch (error) {
      // the client may be gone (a cut connection) and never read the answer: the log tells what became of it
      if (error instanceof AppError && error.status < 500) request.log.info({ err: error, blobName }, 'upload refused; its staged blocks were dropped');
      throw error;
    }
  }

  r.post(
    '/api/v1/files',
    {
      preHandler: write,
      schema: {
        summary: 'Upload a file (multipart/form-data, part "file"); streamed, any size up to the limit',
        description:
          'The content type is sniffed from the bytes. Send an Idempotency-Key header to make retries safe: a retried request returns the first result and stores nothing twice. Into a folder: `?folderId=` or a form field `folderId` (before or after the file); a name taken there keeps both ("name (2).ext").',
        tags: ['files'],
        security,
        consumes: ['multipart/form-data'],
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 200 } } },
        querystring: UploadQuery,
        response: { 201: FileInfo, ...problems(400, 401, 403, 404, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const key = idempotencyKey(request.headers['idempotency-key']);
      const replay = async () => {
        const stored = await app.db.selectFrom('files.idempotency').select(['response', 'file_id']).where('owner_id', '=', caller.ownerId).where('key', '=', key!).executeTakeFirst();
        // an answer stored before the file list showed rehydration lacks it: a new upload is never rehydrating
        // an answer stored before folders and stars lacks them: it was at the root, unstarred
        return stored && { file_id: stored.file_id, response: { ...rehydrationOf({ rehydrating_since: null }), folderId: null, starred: false, ...(stored.response as object) } as FileInfo };
      };
      if (key) {
        const stored = await replay();
        if (stored) return reply.code(201).header('idempotent-replayed', 'true').header('location', `/api/v1/files/${stored.file_id}`).send(stored.response);
      }
      // the name is checked before any byte is stored
      const part = await multipartFile(request);
      let name: string;
      try {
        name = validateFileName(part.filename);
      } catch (error) {
        if (error instanceof InvalidNameError) throw invalidName(error.reason);
        throw error;
      }
      // a folder named before the bytes is checked before any byte is stored
      const early = uploadFolder(request.query.folderId, part.fields.get('folderId'));
      // into a folder shared with the caller as an editor: the owner's file, in the owner's quota
      const target = early ? await accessibleFolder(app.db, caller, early, 'write') : undefined;
      if (early && !target) throw folderNotFound();
      const ownerId = target?.access.ownerId ?? caller.ownerId;
      const fileId = randomUUID();
      const versionId = randomUUID();
      const blobName = blobNameFor(ownerId, fileId, versionId);
      const content = await ingestFor(request, ownerId, blobName, part.bytes);
      let info: FileInfo | undefined;
      try {
        const folderId = uploadFolder(request.query.folderId, part.fields.get('folderId')) ?? null;
        // a folder named only after the bytes is the caller's own (uploadPlace checks it): into a shared one, name it first
        if (target && folderId !== early) throw folderNotFound();
        await app.db.transaction().execute(async (trx) => {
          const place = await tree.uploadPlace(trx, ownerId, folderId, name);
          await app.commands.handle(
            fileId,
            { type: 'UploadFile', data: { fileId, ownerId, name, via: 'multipart', content: { versionId, blobName, ...content }, place, limits: tree.limits, now: app.clock.now() } },
            {
              transaction: trx,
              metadata: metadataOf(request, caller),
              after: async (trx) => {
                await checkQuota(trx, ownerId, config.QUOTA_BYTES, app.clock.now(), content.size);
                request.uploadedBytes = content.size;
                const row = await trx.selectFrom('files.files').selectAll().where('file_id', '=', fileId).executeTakeFirstOrThrow();
                info = toFileInfo(row);
                if (key) {
                  const inserted = await trx
                    .insertInto('files.idempotency')
                    .values({ owner_id: caller.ownerId, key, file_id: fileId, response: JSON.stringify(info), created_at: app.clock.now() })
                    .onConflict((c) => c.columns(['owner_id', 'key']).doNothing())
                    .executeTakeFirst();
                  // the same key won a race with this request: roll this one back and answer as the first did
                  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) throw new IdempotencyReplay();
                }
              },
            },
            );
        });
      } catch (error) {
        // after a lost connection the upload may have committed (a COMMIT whose answer was lost):
        // its blob stays, and the orphan sweep deletes it later if no version names it
        if (!isConnectionError(error)) await discard(blockBlob(app.blobs, blobName));
        if (error instanceof IdempotencyReplay) {
          const stored = await replay();
          if (stored) return reply.code(201).header('idempotent-replayed', 'true').header('location', `/api/v1/files/${stored.file_id}`).send(stored.response);
        }
        throw toHttpError(error);
      }
      return reply.code(201).header('location', `/api/v1/files/${fileId}`).header('etag', `"${info!.revision}"`).send(info!);
    },
  );

  r.get(
    '/api/v1/files',
    {
      preHandler: read,
      schema: {
        summary: 'List your files (a partner: the files granted to it), one page at a time',
        tags: ['files'],
        security,
        querystring: ListQuery,
        response: { 200: FileList, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const asOf = request.query.asOf === undefined ? undefined : parseAsOf(request.query.asOf, app.clock.now());
      if (asOf) pastReadable(app);
      // a folder that is not the caller's (or is in the trash; as of a moment: was not, then) is not found, as on its own routes
      const { folder } = request.query;
      if (folder !== undefined && folder !== 'root' && !(await liveFolder(app.db, caller.ownerId, folder, asOf))) throw folderNotFound();
      reply.header('cache-control', 'private, no-cache');
      try {
        const page = await listFiles(app.db, caller, request.query, asOf);
        return asOf ? { ...page, asOf: asOf.toISOString() } : page;
      } catch (error) {
        throw toHttpError(error);
      }
    },
  );

  r.get(
    '/api/v1/files/:id',
    {
      preHandler: read,
      schema: {
        summary: 'One file; the ETag is its revision, for If-Match',
        description: 'With ?asOf=: the file as it was at that moment (its name, folder, latest version, star), `trashedAt` if it was in the trash then, and `versions`, its versions then; a file that did not exist yet, or was purged by then, is a 404.',
        tags: ['files'],
        security,
        params: FileIdParams,
        querystring: AsOfQuery,
        response: { 200: FileAsOf, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      if (request.query.asOf !== undefined) {
        const asOf = parseAsOf(request.query.asOf, app.clock.now());
        pastReadable(app);
        const past = await fileAsOf(app.db, caller, request.params.id, asOf);
        if (!past) throw notFound();
        reply.header('cache-control', 'private, no-cache');
        return { ...toFileInfo(past), trashedAt: past.trashed_at?.toISOString() ?? null, versions: await fileVersionsAsOf(app.store, past.file_id, asOf), asOf: asOf.toISOString() };
      }
      const row = await findReadable(app.db, caller, request.params.id);
      if (!row) throw notFound();
      // someone else's file (a share): never kept by the gateway's cache, whose generations move with the caller's own data only
      reply.header('etag', `"${row.revision}"`).header('cache-control', row.owner_id === caller.ownerId ? 'private, no-cache' : 'no-store');
      return toFileInfo(row);
    },
  );

  r.patch(
    '/api/v1/files/:id',
    {
      preHandler: write,
      schema: {
        summary: 'Rename a file, move it to another folder (folderId; null: the root), or both; send If-Match with its ETag to refuse a stale change (412)',
        description: 'A name taken in the folder it ends up in (case-insensitively, after Unicode normalisation) is a 409 name-taken; a folder that is not yours is a 404; a full folder a 422 folder-full.',
        tags: ['files'],
        security,
        params: FileIdParams,
        headers: IfMatchHeaders,
        body: RenameBody,
        response: { 200: FileInfo, ...problems(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const ifMatch = parseIfMatch(request.headers['if-match']);
      const found = await accessibleFile(app.db, caller, request.params.id, 'write');
      if (!found) throw notFound();
      // an editor renames; where an item sits in the owner's drive is the owner's to say
      if (found.access.via !== 'owner' && request.body.folderId !== undefined) throw ownerOnly('move it to another folder');
      try {
        await tree.updateFile({ ownerId: found.access.ownerId, metadata: metadataOf(request, caller), now: app.clock.now() }, request.params.id, request.body, ifMatch);
      } catch (error) {
        throw toHttpError(error, ifMatch !== undefined);
      }
      const info = await fileInfoOf(app.db, request.params.id);
      reply.header('etag', `"${info.revision}"`);
      if (found.access.via !== 'owner') reply.header('cache-control', 'no-store');
      return info;
    },
  );

  r.delete(
    '/api/v1/files/:id',
    {
      preHandler: write,
      schema: { summary: 'Move a file to the trash (restorable until the trash is purged)', tags: ['files'], security, params: FileIdParams, response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      // an editor's trash is the owner's: the file goes to the owner's trash, restorable by the owner
      const found = await accessibleFile(app.db, caller, request.params.id, 'write');
      if (!found) throw notFound();
      await runOrMap(app, request.params.id, { type: 'TrashFile', data: { ownerId: found.access.ownerId, now: app.clock.now() } }, request, caller);
      return reply.code(204).send();
    },
  );

  r.get(
    '/api/v1/files/:id/versions',
    {
      preHandler: read,
      schema: { summary: "A file's content versions, oldest first", tags: ['files'], security, params: FileIdParams, response: { 200: VersionList, ...problems(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const row = await findReadable(app.db, caller, request.params.id);
      if (!row) throw notFound();
      if (row.owner_id !== caller.ownerId) reply.header('cache-control', 'no-store');
      return { items: await versionsOf(app.db, row.file_id) };
    },
  );

  r.put(
    '/api/v1/files/:id/content',
    {
      preHandler: write,
      schema: {
        summary: 'Add a new version of the content (multipart/form-data, part "file")',
        tags: ['files'],
        security,
        consumes: ['multipart/form-data'],
        params: FileIdParams,
        response: { 200: FileInfo, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const fileId = request.params.id;
      // refuse before reading the body: a file that is not yours (nor shared with you to edit) is a 404, whatever you send
      const found = await accessibleFile(app.db, caller, fileId, 'write');
      if (!found) throw notFound();
      const { ownerId } = found.access;
      const part = await multipartFile(request);
      const versionId = randomUUID();
      const blobName = blobNameFor(ownerId, fileId, versionId);
      const content = await ingestFor(request, ownerId, blobName, part.bytes);
      try {
        // the owner's version, in the owner's quota; the editor is the event's actor
        await app.commands.handle(
          fileId,
          { type: 'AddVersion', data: { ownerId, content: { versionId, blobName, ...content }, now: app.clock.now() } },
          { metadata: metadataOf(request, caller), after: async (trx) => checkQuota(trx, ownerId, config.QUOTA_BYTES, app.clock.now(), content.size) },
        );
        request.uploadedBytes = content.size;
      } catch (error) {
        // as for POST /files: a version that may have committed keeps its blob (the sweep decides)
        if (!isConnectionError(error)) await discard(blockBlob(app.blobs, blobName));
        throw toHttpError(error);
      }
      const info = await fileInfoOf(app.db, fileId);
      reply.header('etag', `"${info.revision}"`);
      if (found.access.via !== 'owner') reply.header('cache-control', 'no-store');
      return info;
    },
  );
}

/** An Idempotency-Key header as the commands take it: 1-200 visible ASCII characters, or none. */
export function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header !== undefined && (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header))) throw httpError(400, 'Idempotency-Key must be 1-200 visible ASCII characters.');
  return header;
}

/** If-Match: "<revision>" (or W/"<revision>"); `*` means any. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(header);
  // an ETag this API never gave out cannot match anything
  if (!match) throw new AppError(412, 'precondition-failed', 'Precondition failed', 'If-Match does not name a revision of this file.');
  return Number(match[1]);
}

export async function runOrMap(
  app: FastifyInstance,
  fileId: string,
  command: FileCommand,
  request: FastifyRequest,
  caller: Caller,
): Promise<CommandResult<FileState, FileEvent>> {
  try {
    return await app.commands.handle(fileId, command, { metadata: metadataOf(request, caller) });
  } catch (error) {
    throw toHttpError(error);
  }
}
