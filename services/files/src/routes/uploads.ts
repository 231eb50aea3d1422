import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError, httpError } from '@strata/service-kit';
import { ConcurrencyError } from '@strata/event-store';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BlockWriter, TooLargeError } from '../blob/blocks.js';
import { sniffContentType, SNIFF_BYTES } from '../blob/sniff.js';
import { type Caller, callerOf, metadataOf } from '../caller.js';
import type { Config } from '../config.js';
import type { UploadFailure, UploadRow } from '../db/schema.js';
import { FileExistsError } from '../domain/file/decide.js';
import { blobNameFor } from '../domain/file/file.js';
import { InvalidNameError, validateFileName } from '../domain/file/names.js';
import { FolderNotFoundError } from '../domain/folder/place.js';
import { folderNotFound, invalidName, toHttpError, uploadFailed } from '../errors.js';
import { liveFolder } from '../projections/folder-queries.js';
import { treeOf } from '../tree.js';
import { checkQuota } from '../quota.js';
import { Id, problems } from '../schemas/index.js';
import { fromClient } from '../upload/body.js';
import { discard } from '../upload/ingest.js';
import { parseUploadMetadata, stagedChain } from '../upload/tus.js';
import { findUpload, forgetUpload, markCompleted, markFailed, openUpload, recordOffset } from '../upload/uploads.js';

const TUS_VERSION = '1.0.0';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UploadParams = Type.Object({ id: Id });
const TusHeaders = Type.Object({ 'tus-resumable': Type.Optional(Type.String()) });

/** The blob of a completing upload does not hold Upload-Length bytes: the completion is refused. */
class SizeMismatch extends Error {}

/**
 * Resumable uploads, tus 1.0 (core, creation, termination, expiration), at /api/v1/uploads.
 * Every PATCH streams into staged blocks whose ids name their offsets; the offset is read back
 * from the staged blocks, so any replica can take the next request and a kill at any moment
 * loses at most the block being staged. The last byte commits the block list and stores
 * FileUploaded.
 */
export async function uploadRoutes(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const write = app.requireScopes('files:write');
  const tree = treeOf(app, config);
  // PATCH bodies are streamed as they come: no buffering, no body limit but the upload's length
  app.addContentTypeParser('application/offset+octet-stream', (_request, payload, done) => done(null, payload));

  app.addHook('onSend', async (_request, reply) => {
    reply.header('tus-resumable', TUS_VERSION);
  });
  const requireTus = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers['tus-resumable'] !== TUS_VERSION) {
      reply.header('tus-version', TUS_VERSION);
      throw new AppError(412, 'tus-version', 'Unsupported tus version', `Send Tus-Resumable: ${TUS_VERSION}.`);
    }
  };

  async function ownUpload(caller: Caller, id: string): Promise<UploadRow> {
    const upload = await findUpload(app.db, id);
    if (!upload || upload.owner_id !== caller.ownerId || upload.expires_at.getTime() <= app.clock.now().getTime()) throw httpError(404, 'No such upload.');
    return upload;
  }

  /** An upload that failed answers so at once: its blob is gone, nothing is read or hashed again. */
  function stillOpen(upload: UploadRow): UploadRow {
    if (upload.failure) throw uploadFailed(upload.failure);
    return upload;
  }

  /**
   * A refused completion is final: the upload is marked failed (its reservation ends) and its
   * bytes, staged or committed, are deleted. Only the request that marked it deletes the blob: an
   * upload completed meanwhile by another request keeps its blob, which is a file's now.
   */
  async function fail(upload: UploadRow, failure: UploadFailure): Promise<void> {
    if (await markFailed(app.db, upload.upload_id, failure, app.clock.now())) await discard(app.blobs.getBlockBlobClient(upload.blob_name));
  }

  /**
   * The blob is whole: commit it, hash it, and store FileUploaded with the upload marked done, in
   * one transaction. Safe to repeat after a crash at any step. Refused (the file is over the quota,
   * or the blob is not Upload-Length bytes), the upload fails for good.
   */
  async function complete(upload: UploadRow, caller: Caller, request: FastifyRequest, chain: { ids: string[]; committed: boolean }): Promise<void> {
    try {
      const content = await commitAndHash(upload, chain);
      await app.db.transaction().execute(async (trx) => {
        // into the folder named at creation; a name taken there by now keeps both
        const place = await tree.uploadPlace(trx, upload.owner_id, upload.folder_id, upload.name);
        await app.commands.handle(
          upload.file_id,
          { type: 'UploadFile', data: { fileId: upload.file_id, ownerId: upload.owner_id, name: upload.name, via: 'tus', content, place, limits: tree.limits, now: app.clock.now() } },
          {
            transaction: trx,
            metadata: metadataOf(request, caller),
            after: async (trx) => {
              // done first, so that its own reservation is not counted beside the file it became
              await markCompleted(trx, upload.upload_id, content.size, app.clock.now());
              await checkQuota(trx, upload.owner_id, config.QUOTA_BYTES, app.clock.now(), content.size);
            },
          },
        );
      });
      request.uploadedBytes = content.size;
    } catch (error) {
      // another request finished it first (both appended the stream's first event)
      if (error instanceof FileExistsError || error instanceof ConcurrencyError) return;
      // the folder it was meant for went to the trash meanwhile: the upload fails like any refused completion
      if (error instanceof FolderNotFoundError) {
        await fail(upload, 'folder-gone');
        throw uploadFailed('folder-gone');
      }
      if (error instanceof SizeMismatch) {
        request.log.warn({ uploadId: upload.upload_id, err: error }, 'upload refused at completion');
        await fail(upload, 'size-mismatch');
        throw uploadFailed('size-mismatch');
      }
      if (error instanceof AppError && error.code === 'quota-exceeded') {
        await fail(upload, 'quota-exceeded');
        throw error;
      }
      // another request may have ended it meanwhile (its blob then vanished under this one)
      const now = await findUpload(app.db, upload.upload_id);
      if (now?.completed_at) return;
      if (now?.failure) throw uploadFailed(now.failure);
      throw toHttpError(error);
    }
  }

  /** Commits the block list (unless a cut-short completion did) and reads the blob back once to hash and sniff it. */
  async function commitAndHash(upload: UploadRow, chain: { ids: string[]; committed: boolean }) {
    const blob = app.blobs.getBlockBlobClient(upload.blob_name);
    if (!chain.committed) await blob.commitBlockList(chain.ids, { blobHTTPHeaders: { blobContentType: 'application/octet-stream' } });
    // node's hashes cannot be saved between requests, and a upload's chunks may come to several
    // replicas: the whole blob is read back once to hash it
    const hash = createHash('sha256');
    let head = Buffer.alloc(0);
    let size = 0;
    if (Number(upload.length) > 0) {
      const download = await blob.download(0, undefined, { maxRetryRequests: 3 });
      for await (const chunk of download.readableStreamBody as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
        if (head.length < SNIFF_BYTES) head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
      }
    }
    if (size !== Number(upload.length)) throw new SizeMismatch(`upload ${upload.upload_id}: blob holds ${size} bytes, ${String(upload.length)} expected`);
    const contentType = sniffContentType(head);
    await blob.setHTTPHeaders({ blobContentType: contentType });
    return { versionId: upload.version_id, blobName: upload.blob_name, size, sha256: hash.digest('hex'), contentType };
  }

  /** The offset now, finishing the upload if every byte is there but the completion was cut short. */
  async function currentOffset(upload: UploadRow, caller: Caller, request: FastifyRequest): Promise<number> {
    if (upload.completed_at) return Number(upload.length);
    stillOpen(upload);
    const chain = await stagedChain(app.blobs.getBlockBlobClient(upload.blob_name));
    if (chain.offset === Number(upload.length)) await complete(upload, caller, request, chain);
    return chain.offset;
  }

  const uploadHeaders = (reply: FastifyReply, upload: UploadRow, offset: number) =>
    reply
      .header('upload-offset', String(offset))
      .header('upload-length', String(upload.length))
      .header('upload-expires', upload.expires_at.toUTCString())
      .header('cache-control', 'no-store')
      .header('x-file-id', upload.file_id);

  r.options(
    '/api/v1/uploads',
    // the public route table asks a token for every method of /api/v1/uploads: the document says so
    { schema: { summary: 'tus capabilities', tags: ['uploads'], security, response: { 204: { type: 'null' }, ...problems(400, 401) } } },
    async (_request, reply) =>
      reply
        .code(204)
        .header('tus-version', TUS_VERSION)
        .header('tus-extension', 'creation,termination,expiration')
        .header('tus-max-size', String(config.MAX_RESUMABLE_UPLOAD_BYTES))
        .send(),
  );

  r.post(
    '/api/v1/uploads',
    {
      preHandler: [write, requireTus],
      schema: {
        summary: 'Start a resumable upload (tus 1.0 creation): Upload-Length, Upload-Metadata "filename <base64>" (and "folderId <base64>" to upload into a folder)',
        tags: ['uploads'],
        security,
        // Tus-Resumable is required (requireTus), like on every tus request: the document says so
        headers: Type.Object({ 'upload-length': Type.Optional(Type.String()), 'upload-metadata': Type.Optional(Type.String({ maxLength: 4096 })), 'tus-resumable': Type.Optional(Type.String()) }),
        response: { 201: { type: 'null' }, ...problems(400, 401, 403, 404, 412, 413, 422) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const lengthHeader = request.headers['upload-length'];
      if (typeof lengthHeader !== 'string' || !/^\d{1,15}$/.test(lengthHeader)) throw httpError(400, 'Upload-Length is required (deferred lengths are not supported).');
      const length = Number(lengthHeader);
      if (length > config.MAX_RESUMABLE_UPLOAD_BYTES) {
        throw new AppError(413, 'file-too-large', 'File too large', `A resumable upload may hold at most ${config.MAX_RESUMABLE_UPLOAD_BYTES} bytes.`, { limitBytes: config.MAX_RESUMABLE_UPLOAD_BYTES });
      }
      let metadata: Record<string, string>;
      try {
        metadata = parseUploadMetadata(request.headers['upload-metadata']);
      } catch (error) {
        throw httpError(400, `Upload-Metadata: ${(error as Error).message}.`);
      }
      let name: string;
      try {
        name = validateFileName(metadata.filename ?? '');
      } catch (error) {
        if (error instanceof InvalidNameError) throw invalidName(error.reason);
        throw error;
      }
      const folderId = metadata.folderId ?? null;
      if (folderId !== null) {
        if (!UUID.test(folderId)) throw httpError(400, 'Upload-Metadata: folderId must be a folder id (a lower-case UUID).');
        if (!(await liveFolder(app.db, caller.ownerId, folderId))) throw folderNotFound();
      }
      const uploadId = randomUUID();
      const fileId = randomUUID();
      const versionId = randomUUID();
      const now = app.clock.now();
      const expires = new Date(now.getTime() + config.UPLOAD_EXPIRY_HOURS * 3_600_000);
      const upload = await openUpload(
        app.db,
        { upload_id: uploadId, owner_id: caller.ownerId, file_id: fileId, version_id: versionId, blob_name: blobNameFor(caller.ownerId, fileId, versionId), name, folder_id: folderId, length, offset: 0, created_at: now, expires_at: expires, completed_at: null, failed_at: null, failure: null },
        config.QUOTA_BYTES,
      );
      // an empty file is complete as soon as it is announced
      if (length === 0) await complete(upload, caller, request, { ids: [], committed: false });
      return reply.code(201).header('location', `/api/v1/uploads/${uploadId}`).header('upload-expires', expires.toUTCString()).header('x-file-id', fileId).send();
    },
  );

  r.head(
    '/api/v1/uploads/:id',
    {
      // HEAD is the tus offset request: it belongs in the document (swagger leaves HEAD out by default)
      config: { swagger: { exposeHeadRoute: true } },
      preHandler: [write, requireTus],
      schema: { summary: 'The offset to resume from (tus 1.0)', tags: ['uploads'], security, params: UploadParams, headers: TusHeaders, response: { 200: { type: 'null' }, ...problems(400, 401, 403, 404, 410, 412, 413) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const upload = await ownUpload(caller, request.params.id);
      const offset = await currentOffset(upload, caller, request);
      return uploadHeaders(reply, upload, offset).code(200).send();
    },
  );

  r.patch(
    '/api/v1/uploads/:id',
    {
      preHandler: [write, requireTus],
      schema: {
        summary: 'Send bytes from Upload-Offset on (tus 1.0); Content-Type application/offset+octet-stream',
        tags: ['uploads'],
        security,
        consumes: ['application/offset+octet-stream'],
        params: UploadParams,
        headers: Type.Object({ 'upload-offset': Type.Optional(Type.String()), 'tus-resumable': Type.Optional(Type.String()) }),
        response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404, 409, 410, 412, 413, 415) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      if (request.headers['content-type'] !== 'application/offset+octet-stream') throw httpError(415, 'Send Content-Type: application/offset+octet-stream.');
      const upload = stillOpen(await ownUpload(caller, request.params.id));
      const claimed = request.headers['upload-offset'];
      if (typeof claimed !== 'string' || !/^\d{1,15}$/.test(claimed)) throw httpError(400, 'Upload-Offset is required.');
      const offset = await currentOffset(upload, caller, request);
      if (Number(claimed) !== offset) {
        reply.header('upload-offset', String(offset));
        throw new AppError(409, 'offset-mismatch', 'Conflict', `The upload is at offset ${offset}; resume from there.`, { offset });
      }
      const length = Number(upload.length);
      const declared = request.headers['content-length'];
      if (declared !== undefined && offset + Number(declared) > length) throw httpError(413, `The chunk goes past Upload-Length (${length}).`);
      const blob = app.blobs.getBlockBlobClient(upload.blob_name);
      const writer = new BlockWriter(blob, config.BLOCK_BYTES, offset, length - offset);
      let failure: unknown;
      try {
        // a chunk refused half-way must not destroy the request, or its 413 could not be sent
        for await (const chunk of fromClient((request.body as Readable).iterator({ destroyOnReturn: false }))) await writer.write(chunk);
      } catch (error) {
        failure = error;
      }
      if (failure instanceof TooLargeError) {
        await writer.settle();
        throw httpError(413, `The chunk goes past Upload-Length (${length}).`);
      }
      // bytes that did arrive before a cut are kept: a resumed upload need not send them again
      try {
        await writer.flush();
      } catch (error) {
        await writer.settle();
        failure ??= error;
      }
      if (failure) {
        request.log.info({ err: failure, uploadId: upload.upload_id }, 'upload chunk cut short; it resumes from the staged blocks');
        throw failure;
      }
      const reached = offset + writer.written;
      await recordOffset(app.db, upload.upload_id, reached);
      if (reached === length) {
        const chain = await stagedChain(blob);
        // another request (a termination, a PATCH at the same offset) changed the blocks under this one
        if (chain.offset !== length) {
          reply.header('upload-offset', String(chain.offset));
          throw new AppError(409, 'offset-mismatch', 'Conflict', `The upload changed while this chunk was stored; it is at offset ${chain.offset}: resume from there.`, { offset: chain.offset });
        }
        await complete(upload, caller, request, chain);
      }
      return uploadHeaders(reply, upload, reached).code(204).send();
    },
  );

  r.delete(
    '/api/v1/uploads/:id',
    {
      preHandler: [write, requireTus],
      schema: { summary: 'Give up an upload (tus termination): its staged bytes are deleted', tags: ['uploads'], security, params: UploadParams, headers: TusHeaders, response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404, 412) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const upload = await ownUpload(caller, request.params.id);
      // a finished upload is a file now: delete that through /files
      if (upload.completed_at) throw httpError(404, 'No such upload in progress.');
      await discard(app.blobs.getBlockBlobClient(upload.blob_name));
      await forgetUpload(app.db, upload.upload_id);
      return reply.code(204).send();
    },
  );
}
