import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { RestError } from '@azure/storage-blob';
import { AppError, httpError } from '@strata/service-kit';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { servedContentType } from '../blob/sniff.js';
import { callerOf, metadataOf } from '../caller.js';
import type { Config } from '../config.js';
import { notFound, toHttpError } from '../errors.js';
import { findReadable } from '../projections/queries.js';
import { requestRehydration } from '../rehydration.js';
import { BinaryResponse, ContentLink, ContentLinkQuery, ContentQuery, DownloadRedirect, FileIdParams, Rehydrating, problems } from '../schemas/index.js';

/** bytes=a-b, bytes=a-, bytes=-n; several ranges are answered with the whole body (RFC 9110 allows it). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** RFC 6266 / 5987: an ASCII fallback and the exact name in UTF-8. */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%;]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

export async function contentRoutes(
  app: FastifyInstance,
  opts: { config: Pick<Config, 'REHYDRATE_PRIORITY' | 'REHYDRATE_RETRY_AFTER_SECONDS' | 'DOWNLOAD_REDIRECT' | 'DOWNLOAD_SAS_TTL_SECONDS'> },
) {
  const {
    REHYDRATE_PRIORITY: priority,
    REHYDRATE_RETRY_AFTER_SECONDS: retryAfter,
    DOWNLOAD_REDIRECT: redirectByDefault,
    DOWNLOAD_SAS_TTL_SECONDS: ttlSeconds,
  } = opts.config;

  /** The SAS URL of a version's blob, with the answer's headers forced (the proxied path's own). */
  const signedUrl = async (row: { name: string }, version: { blob_name: string; content_type: string }) => {
    // Blob Storage judges the expiry by the wall clock, not by the service's (a test's) clock
    const now = new Date();
    const url = await app.downloadSigner.url(
      version.blob_name,
      { contentDisposition: contentDisposition(row.name), contentType: servedContentType(version.content_type) },
      now,
    );
    return { url, expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString() };
  };

  /**
   * The caller's file and version, after authorising: undefined when the answer is already sent
   * (a 202 for archived content, whose rehydration this asks for); a 404 for anything not theirs.
   */
  const readableVersion = async (
    request: FastifyRequest<{ Params: Static<typeof FileIdParams>; Querystring: { version?: number | undefined } }>,
    reply: FastifyReply,
  ) => {
    const caller = callerOf(request);
    const row = await findReadable(app.db, caller, request.params.id);
    if (!row) throw notFound();
    const version = await app.db
      .selectFrom('files.versions')
      .selectAll()
      .where('file_id', '=', row.file_id)
      .where('version', '=', request.query.version ?? row.version)
      .executeTakeFirst();
    if (!version) throw httpError(404, 'No such version.');
    if (version.tier === 'Archive') {
      // trashed or purged since it was read: a 404 as for any file not there (toHttpError)
      const pending = await requestRehydration(app, row, priority, metadataOf(request, caller)).catch((error: unknown) => {
        throw toHttpError(error);
      });
      if (pending) {
        void reply
          .code(202)
          .header('retry-after', String(retryAfter))
          .header('cache-control', 'no-store')
          .send({ id: row.file_id, version: version.version, state: 'rehydrating' as const, requestedAt: pending.requestedAt, priority: pending.priority, retryAfterSeconds: retryAfter });
        return undefined;
      }
      // brought back meanwhile: read it
    }
    return { row, version };
  };

  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/api/v1/files/:id/content',
    {
      preHandler: app.requireScopes('files:read'),
      schema: {
        summary: 'Download a version of the content (the latest by default): a redirect to Blob Storage, or the bytes with ?redirect=false; Range and If-None-Match are honoured',
        description:
          'By default (DOWNLOAD_REDIRECT) a 307 to a read-only SAS URL of the blob, valid for at most 5 minutes; ?redirect=false streams the bytes here. ' +
          'Breaking change (issue 17): this route used to answer 200 with the bytes and ETag = the sha256 of the version. With redirects on, a client that does not ' +
          "follow redirects gets a 307 without a body, and after the redirect ETag is the blob's, so an If-None-Match with it gets a new 307, not a 304. " +
          'Send ?redirect=false for the former answer (200/206 with the sha256 ETag, 304 when it matches); an If-None-Match with the sha256 is answered 304 before any redirect. ' +
          'Always an attachment, never rendered: active types (HTML, SVG, XML...) are sent as application/octet-stream (with nosniff here). ' +
          'Content in the archive tier (files unchanged for 91 days) cannot be read at once: the first download asks for it back (FileRehydrationRequested), ' +
          'and every download answers 202 with Retry-After and the state until it is hot again (FileRehydrated).',
        tags: ['files'],
        security: [{ bearer: [] }],
        params: FileIdParams,
        querystring: ContentQuery,
        response: {
          200: BinaryResponse,
          202: Rehydrating,
          206: BinaryResponse,
          304: { type: 'null' },
          307: DownloadRedirect,
          ...problems(400, 401, 403, 404, 409, 416),
        },
      },
    },
    async (request, reply) => {
      const found = await readableVersion(request, reply);
      if (!found) return reply;
      const { row, version } = found;
      const size = Number(version.size);
      const etag = `"${version.sha256}"`;
      const inm = request.headers['if-none-match'];
      const unchanged = typeof inm === 'string' && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
      // the service's switch decides; a client may only ask for the bytes here (redirect=false)
      if (!unchanged && redirectByDefault && request.query.redirect !== false) {
        // 307, not 302: the client must repeat exactly its request (HEAD stays HEAD, Range and
        // conditionals go along), and nothing may keep the answer: the URL is a capability that
        // expires in minutes
        const { url: location } = await signedUrl(row, version);
        return reply
          .code(307)
          .header('location', location)
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer')
          .header('x-file-version', String(version.version))
          .send();
      }
      reply
        .header('etag', etag)
        .header('accept-ranges', 'bytes')
        .header('content-disposition', contentDisposition(row.name))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-cache')
        .header('x-file-version', String(version.version));
      if (unchanged) return reply.code(304).send();
      const range = parseRange(request.headers.range, size);
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${size}`);
        throw new AppError(416, 'range-not-satisfiable', 'Range not satisfiable', `The file holds ${size} bytes.`);
      }
      const start = range?.start ?? 0;
      const length = range ? range.end - range.start + 1 : size;
      reply.type(servedContentType(version.content_type)).header('content-length', String(length));
      if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
      if (length === 0 || request.method === 'HEAD') return reply.send('');
      try {
        const download = await app.blobs.getBlockBlobClient(version.blob_name).download(start, length, { maxRetryRequests: 3 });
        return reply.send(download.readableStreamBody);
      } catch (error) {
        if (error instanceof RestError && error.code === 'BlobArchived') {
          // the blob is archived though the file's events say it is not (a tier changed outside this service)
          throw new AppError(409, 'file-archived', 'File archived', 'The content is in the archive tier, which this service did not record; it cannot be read now.');
        }
        throw error;
      }
    },
  );

  r.get(
    '/api/v1/files/:id/content/link',
    {
      preHandler: app.requireScopes('files:read'),
      schema: {
        summary: "A short-lived read-only URL of a version's bytes in Blob Storage, for a browser to navigate to (a download by link)",
        description:
          'The URL a download by redirect would go to, as JSON: a page that holds its token in memory cannot send it with a navigation, ' +
          'but it can navigate to this URL (an attachment: the browser saves it, streaming, with its own progress). ' +
          'Valid for DOWNLOAD_SAS_TTL_SECONDS (at most 300); never cached. 409 redirects-off when the service streams downloads itself ' +
          '(DOWNLOAD_REDIRECT=false): then GET /files/{id}/content gives the bytes. Archived content: 202 as for the content.',
        tags: ['files'],
        security: [{ bearer: [] }],
        params: FileIdParams,
        querystring: ContentLinkQuery,
        response: { 200: ContentLink, 202: Rehydrating, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      if (!redirectByDefault) {
        throw new AppError(409, 'redirects-off', 'Downloads by link are off', 'This service streams downloads itself: GET /files/{id}/content gives the bytes.');
      }
      const found = await readableVersion(request, reply);
      if (!found) return reply;
      const { row, version } = found;
      const { url, expiresAt } = await signedUrl(row, version);
      return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send({ url, expiresAt, version: version.version, size: Number(version.size) });
    },
  );
}
