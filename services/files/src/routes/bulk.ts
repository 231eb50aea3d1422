import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bulkOf } from '../bulk.js';
import { callerOf } from '../caller.js';
import type { Config } from '../config.js';
import { malformedBody } from '../errors.js';
import { randomUUID } from 'node:crypto';
import { BulkBody, BulkResults, ZipBody, ZipLink, ZipLinkParams, ZipResponse, problems } from '../schemas/index.js';
import { archiveName, planZip, zipStream } from '../zip.js';
import { contentDisposition } from './content.js';


type ZipItems = { kind: 'file' | 'folder'; id: string }[];

/** Bulk actions on many files and folders, and downloads of many as one ZIP. */
export async function bulkRoutes(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const bulk = bulkOf(app, config);
  const { zipPlan, sendZip } = zipSenderOf(app, config);

  r.post(
    '/api/v1/bulk',
    {
      preHandler: app.requireScopes('files:write'),
      schema: {
        summary: 'One action (move, trash, restore, purge, star, unstar) on many files and folders',
        description:
          `Each item is done as its own route does it (PATCH /files/{id} or /folders/{id} for move, DELETE for trash, POST .../restore, DELETE /trash/{id} for purge, PUT/DELETE .../star), ` +
          'one after the other in the order named, each in its own transaction. The answer says per item whether it was done and, if not, the status and the reason that route ' +
          `would have given (another user's item: 404, and nothing of theirs changes). At most ${config.BULK_MAX_ITEMS} items; a body that is not this shape is a 400 and nothing is done. ` +
          'targetFolderId goes with move only (null: the root), onClash with restore only. Folders are not purged (409 per folder). ' +
          `A folder's trash or restore still going on once the request has taken FOLDER_OPERATION_ANSWER_MS (${config.FOLDER_OPERATION_ANSWER_MS} ms) is reported ok with status 202: it goes on (pending: "trash" or "restore" until it is over).`,
        tags: ['bulk'],
        security,
        body: BulkBody(config.BULK_MAX_ITEMS),
        response: { 200: BulkResults, ...problems(400, 401, 403, 413, 415) },
      },
    },
    async (request) => {
      const { body } = request;
      if (body.action === 'move' && body.targetFolderId === undefined) throw malformedBody('A move names its targetFolderId (null for the root).');
      if (body.action !== 'move' && body.targetFolderId !== undefined) throw malformedBody('targetFolderId goes with a move only.');
      if (body.action !== 'restore' && body.onClash !== undefined) throw malformedBody('onClash goes with a restore only.');
      return { results: await bulk(request, callerOf(request), body) };
    },
  );

  r.post(
    '/api/v1/zip',
    {
      preHandler: app.requireScopes('files:read'),
      schema: {
        summary: 'Download files and folders as one ZIP archive, streamed',
        description:
          'Files go in with their latest version, folders with every folder and file inside, at the paths the UI shows (names UTF-8; the characters Windows cannot extract, <>:"|?*, ' +
          'as _; two items of one name at the top of the archive keep both as "name (2).ext"). Stored, not compressed, so Content-Length is known at once; ZIP64 past 4 GiB. ' +
          `Anything not yours or in the trash is a 404 naming the items (no archive short of an item is sent); content in the archive tier a 409 naming the files; at most ` +
          `${config.ZIP_MAX_ENTRIES} entries in all (422 zip-too-large).`,
        tags: ['bulk'],
        security,
        body: ZipBody(config.BULK_MAX_ITEMS),
        response: { 200: ZipResponse, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => sendZip(request, reply, callerOf(request).ownerId, request.body.items),
  );

  r.post(
    '/api/v1/zip/links',
    {
      preHandler: app.requireScopes('files:read'),
      schema: {
        summary: 'A link to download files and folders as one ZIP by a navigation (once, for a minute)',
        description:
          'What a browser needs to stream an archive to disk: a navigation cannot send the bearer token, so this answers a URL that needs none, good for one download ' +
          `within ZIP_LINK_TTL_SECONDS (${config.ZIP_LINK_TTL_SECONDS} s). The items are checked now as POST /zip checks them (404 naming what is not yours or in the trash, ` +
          '409 archived content, 422 too many entries), and again when the link is followed.',
        tags: ['bulk'],
        security,
        body: ZipBody(config.BULK_MAX_ITEMS),
        response: { 201: ZipLink, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      await zipPlan(caller.ownerId, request.body.items);
      const now = app.clock.now();
      const expiresAt = new Date(now.getTime() + config.ZIP_LINK_TTL_SECONDS * 1000);
      const id = randomUUID();
      await app.db.deleteFrom('files.zip_links').where('expires_at', '<=', now).execute();
      await app.db
        .insertInto('files.zip_links')
        .values({ id, owner_id: caller.ownerId, items: JSON.stringify(request.body.items), created_at: now, expires_at: expiresAt })
        .execute();
      return reply.code(201).header('cache-control', 'no-store').send({ url: `/api/v1/zip/links/${id}`, expiresAt: expiresAt.toISOString() });
    },
  );

  r.get(
    '/api/v1/zip/links/:id',
    {
      // a HEAD (a download manager's or a scanner's look first) would take the link's one use
      exposeHeadRoute: false,
      schema: {
        summary: 'Download the ZIP of a link from POST /zip/links (no token: the link is the credential, once)',
        description:
          'The archive as POST /zip streams it, an attachment. The link is taken by this download: a second request, an expired link or one never made is a 404, ' +
          'and so are items trashed since the link was made.',
        tags: ['bulk'],
        params: ZipLinkParams,
        response: { 200: ZipResponse, ...problems(400, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const link = await app.db.deleteFrom('files.zip_links').where('id', '=', request.params.id).where('expires_at', '>', app.clock.now()).returning(['owner_id', 'items']).executeTakeFirst();
      if (!link) throw new AppError(404, 'not-found', 'Not found', 'This download link is used, expired or was never made: ask for the archive again.');
      return sendZip(request, reply, link.owner_id, link.items);
    },
  );
}

/** Archives of an owner's items, planned and streamed: POST /zip, its links, and share links to folders. */
export function zipSenderOf(app: FastifyInstance, config: Config) {
  /** The members of an archive of the owner's items, or the 404, 409 or 422 that says why there is none. */
  async function zipPlan(ownerId: string, items: ZipItems) {
    const plan = await planZip(app.db, ownerId, items, config.ZIP_MAX_ENTRIES);
    if (plan === 'too-large') {
      throw new AppError(422, 'zip-too-large', 'Too many entries', `An archive holds at most ${config.ZIP_MAX_ENTRIES} files and folders: download fewer at once.`, { maxEntries: config.ZIP_MAX_ENTRIES });
    }
    if (plan.missing.length > 0) {
      throw new AppError(404, 'not-found', 'Not found', 'Some of the items named are not among your files and folders (or are in the trash).', { items: plan.missing });
    }
    if (plan.archived.length > 0) {
      throw new AppError(409, 'file-archived', 'File archived', 'Some files are in the archive tier and cannot be read now: download each of them once to bring it back, then ask again.', {
        fileIds: plan.archived,
      });
    }
    return plan;
  }

  /** `beforeSending` runs once the archive can be made (a share link counts its download there, not for a refusal). */
  async function sendZip(request: FastifyRequest, reply: FastifyReply, ownerId: string, items: ZipItems, beforeSending?: () => Promise<void>) {
    const plan = await zipPlan(ownerId, items);
    await beforeSending?.();
    const single = items.length === 1 ? plan.members[0] : undefined;
    const name = single ? `${archiveName(single.path)}.zip` : `strata-${app.clock.now().toISOString().slice(0, 10)}.zip`;
    const { stream, length } = zipStream(app, plan.members, (error) => {
      // the answer has begun: all that is left is to cut it, so the client sees a broken download, not a short archive
      request.log.warn({ err: error }, 'the archive could not be completed; the answer was cut');
      reply.raw.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    const total = await length;
    if (total >= 0) reply.header('content-length', String(total));
    return reply
      .type('application/zip')
      .header('content-disposition', contentDisposition(name))
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(stream);
  }

  return { zipPlan, sendZip };
}
