import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { RestError } from '@azure/storage-blob';
import { AppIds, ShareEventTypes, SESSIONS_PASSWORD_HASH_PATH, SESSIONS_PASSWORD_VERIFY_PATH } from '@strata/contracts';
import { ConcurrencyError } from '@strata/event-store';
import { AppError, httpError, unavailable } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { servedContentType } from '../blob/sniff.js';
import { callerOf, metadataOf } from '../caller.js';
import type { Config } from '../config.js';
import { LinkNotFoundError, usable } from '../domain/link/decide.js';
import type { LinkAction } from '../domain/link/link.js';
import type { ShareKind } from '../domain/share/share.js';
import { childrenOf, liveFolder } from '../projections/folder-queries.js';
import { problems } from '../schemas/index.js';
import { CreateLinkBody, CreatedLink, ShareQuery, LinkList, LinkParams, LinkTokenHeaders, LinkTokenQuery, PublicLink, TokenParams, UnlockBody, Unlocked } from '../schemas/shares.js';
import { zipSenderOf } from './bulk.js';
import { contentDisposition } from './content.js';
import { ownsItem } from './shares.js';

const DAY_MS = 86_400_000;
/** The public page of a link in the UI (not under /api: a person opens it). */
export const linkPageOf = (token: string) => `/l/${token}`;
const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');
const unlockKey = (linkToken: string) => `strata:link-unlock:${hashOf(linkToken)}`;
const triesKey = (linkId: string) => `strata:link-password-tries:{${linkId}}`;
const addressTriesKey = (address: string) => `strata:link-password-tries-by-address:${address}`;

/** Every refusal of a public link that is not the password's: one answer, so a probe learns nothing of why. */
const linkGone = () => new AppError(404, 'link-not-found', 'Link not found', 'This link does not exist, was revoked or has expired, or what it shares is no longer there.');

/**
 * Share links (issue 16): the owner makes, lists and revokes them; anyone with the link reads what
 * it shares and nothing else, without an account.
 */
export async function linkRoutes(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const { sendZip } = zipSenderOf(app, config);
  const userOnly = (scope: 'files:read' | 'files:write') => async (request: FastifyRequest, reply: Parameters<typeof app.authenticate>[1]) => {
    await app.requireScopes(scope)(request, reply);
    if (request.auth?.kind !== 'user') throw httpError(403, 'Share links are for signed-in users.');
  };

  /** sessions hashes and checks link passwords with the account passwords' own hasher. */
  async function sessionsCall<T>(path: string, body: unknown): Promise<T> {
    let res: Response;
    try {
      res = await app.dapr.invoke(AppIds.sessions, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: 10_000 });
    } catch {
      throw unavailable('The accounts service cannot be reached; try again in a moment.');
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw unavailable('The accounts service did not answer; try again in a moment.');
    }
    return (await res.json()) as T;
  }

  r.post(
    '/api/v1/links',
    {
      preHandler: userOnly('files:write'),
      schema: {
        summary: 'Make a share link to one of your files or folders',
        description: `The token (256 random bits) is shown once; only its hash is kept. expiresAt: at most LINK_MAX_EXPIRY_DAYS (${config.LINK_MAX_EXPIRY_DAYS}) ahead, and that when absent (422 link-expiry otherwise). password: asked of whoever opens the link. maxDownloads: downloads of the content it gives, then 410.`,
        tags: ['sharing'],
        security,
        body: CreateLinkBody,
        response: { 201: CreatedLink, ...problems(400, 401, 403, 404, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { kind, id, password, maxDownloads } = request.body;
      if (!(await ownsItem(app, caller, kind, id))) throw httpError(404, kind === 'file' ? 'No such file.' : 'No such folder.');
      const now = app.clock.now();
      const latest = new Date(now.getTime() + config.LINK_MAX_EXPIRY_DAYS * DAY_MS);
      const expiresAt = request.body.expiresAt === undefined ? latest : new Date(request.body.expiresAt);
      if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now.getTime() || expiresAt.getTime() > latest.getTime() + 1_000) {
        throw new AppError(422, 'link-expiry', 'Expiry out of range', `A link expires after now and at most ${config.LINK_MAX_EXPIRY_DAYS} days ahead.`, { maxDays: config.LINK_MAX_EXPIRY_DAYS });
      }
      const passwordHash = password === undefined ? null : (await sessionsCall<{ hash: string }>(SESSIONS_PASSWORD_HASH_PATH, { password })).hash;
      const token = randomBytes(32).toString('base64url');
      const linkId = randomUUID();
      await app.linkCommands.handle(
        linkId,
        { type: 'CreateLink', data: { linkId, ownerId: caller.ownerId, kind, itemId: id, tokenHash: hashOf(token), passwordHash, expiresAt, maxDownloads: maxDownloads ?? null, now } },
        { metadata: metadataOf(request, caller) },
      );
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ id: linkId, token, url: linkPageOf(token), expiresAt: expiresAt.toISOString(), maxDownloads: maxDownloads ?? null });
    },
  );

  r.get(
    '/api/v1/links',
    {
      preHandler: userOnly('files:read'),
      schema: {
        summary: 'The share links of one of your files or folders (never their tokens)',
        tags: ['sharing'],
        security,
        querystring: ShareQuery,
        response: { 200: LinkList, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { kind, id } = request.query;
      if (!(await ownsItem(app, caller, kind, id))) throw httpError(404, kind === 'file' ? 'No such file.' : 'No such folder.');
      const rows = await app.db.selectFrom('files.links').selectAll().where('owner_id', '=', caller.ownerId).where('kind', '=', kind).where('item_id', '=', id).orderBy('created_at').execute();
      reply.header('cache-control', 'no-store');
      return {
        items: rows.map((l) => ({
          id: l.link_id,
          kind: l.kind,
          itemId: l.item_id,
          hasPassword: l.has_password,
          expiresAt: l.expires_at?.toISOString() ?? null,
          maxDownloads: l.max_downloads,
          downloads: l.downloads,
          createdAt: l.created_at.toISOString(),
        })),
      };
    },
  );

  r.delete(
    '/api/v1/links/:id',
    {
      preHandler: userOnly('files:write'),
      schema: { summary: 'Revoke a share link: it stops working at once', tags: ['sharing'], security, params: LinkParams, response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      try {
        await app.linkCommands.handle(request.params.id, { type: 'RevokeLink', data: { ownerId: caller.ownerId, reason: 'owner', now: app.clock.now() } }, { metadata: metadataOf(request, caller), retries: 10 });
      } catch (error) {
        if (error instanceof LinkNotFoundError) throw httpError(404, 'No such link.');
        throw error;
      }
      return reply.code(204).send();
    },
  );

  // ---- the public side: no account; the token is the credential --------------------------------

  /** The live link of a token and the live item it shares; a 404 for anything else, whatever it is. */
  async function linkOf(token: string) {
    const row = await app.db.selectFrom('files.links').selectAll().where('token_hash', '=', hashOf(token)).executeTakeFirst();
    const now = app.clock.now();
    if (!row || (row.expires_at !== null && row.expires_at.getTime() <= now.getTime())) throw linkGone();
    // a trashed item's link stops working, and works again once it is restored
    const item = await liveItem(row.kind, row.item_id, row.owner_id);
    if (!item) throw linkGone();
    return { row, item };
  }

  async function liveItem(kind: ShareKind, itemId: string, ownerId: string) {
    if (kind === 'folder') {
      const folder = await liveFolder(app.db, ownerId, itemId);
      return folder && ({ kind, name: folder.name, updatedAt: folder.updated_at } as const);
    }
    const file = await app.db.selectFrom('files.files').selectAll().where('file_id', '=', itemId).where('owner_id', '=', ownerId).where('status', '=', 'active').executeTakeFirst();
    return file && ({ kind, name: file.name, file } as const);
  }

  /** The access recorded in the owner's trail (time, address, user agent: the event's metadata); a download counted against the limit. */
  async function use(request: FastifyRequest, linkId: string, action: LinkAction, wrongPassword = false) {
    try {
      const { events } = await app.linkCommands.handle(
        linkId,
        { type: 'UseLink', data: { action, wrongPassword, now: app.clock.now() } },
        // concurrent uses of one link are serialised by the stream's version: each tries again on the newer state
        { metadata: request.context.metadata('anonymous'), retries: 50 },
      );
      const used = events[0];
      if (used?.type !== ShareEventTypes.LinkAccessed) throw new Error('a use of a link records one LinkAccessed');
      return used.data;
    } catch (error) {
      if (error instanceof LinkNotFoundError) throw linkGone();
      if (error instanceof ConcurrencyError) throw unavailable('This link is busy; try again in a moment.');
      throw error;
    }
  }

  /** A password-protected link needs the link token its unlock gave (header or query: a browser's navigation sends no header). */
  async function checkUnlocked(request: FastifyRequest, row: { link_id: string; has_password: boolean }, given: string | undefined) {
    if (!row.has_password) return;
    const linkId = given && /^[A-Za-z0-9_-]{43}$/.test(given) ? await app.redis.get(unlockKey(given)) : null;
    if (linkId !== row.link_id) {
      throw new AppError(401, 'link-password-required', 'Password required', 'This link is protected by a password: send it to POST /api/v1/public/links/{token}/unlock, then the link token it gives as X-Link-Token.');
    }
  }

  r.get(
    '/api/v1/public/links/:token',
    {
      schema: {
        summary: 'What a share link shares (no account needed)',
        description: 'A 401 link-password-required when the link has a password and no link token (X-Link-Token or ?linkToken=) from its unlock was sent. A revoked, expired or unknown link, or one whose item is in the trash, is a 404.',
        tags: ['public links'],
        params: TokenParams,
        headers: LinkTokenHeaders,
        querystring: LinkTokenQuery,
        response: { 200: PublicLink, ...problems(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      const { row, item } = await linkOf(request.params.token);
      await checkUnlocked(request, row, request.headers['x-link-token'] ?? request.query.linkToken);
      await use(request, row.link_id, 'view');
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      const downloadsLeft = row.max_downloads === null ? null : Math.max(0, row.max_downloads - row.downloads);
      const expiresAt = row.expires_at?.toISOString() ?? null;
      if (item.kind === 'file') {
        return { kind: 'file' as const, name: item.name, size: Number(item.file.size), contentType: item.file.content_type, expiresAt, downloadsLeft };
      }
      // a folder's top level, as its owner would list it (the first page)
      const page = await childrenOf(app.db, row.owner_id, row.item_id, { limit: 500, sort: 'name' } as Parameters<typeof childrenOf>[3]);
      const entries = page.items.map((e) =>
        e.kind === 'file'
          ? { id: e.id, kind: 'file' as const, name: e.name, size: e.size, contentType: e.contentType, updatedAt: e.updatedAt }
          : { id: e.id, kind: 'folder' as const, name: e.name, updatedAt: e.updatedAt },
      );
      return { kind: 'folder' as const, name: item.name, expiresAt, downloadsLeft, entries };
    },
  );

  r.post(
    '/api/v1/public/links/:token/unlock',
    {
      schema: {
        summary: "A password-protected link's password, checked on the server: a short-lived link token",
        description: `Wrong passwords are throttled: after ${config.LINK_PASSWORD_TRIES_PER_LINK} on one link, or ${config.LINK_PASSWORD_TRIES_PER_ADDRESS} from one address, within ${config.LINK_THROTTLE_WINDOW_SECONDS} s, every try is a 429 with Retry-After (the right password too) until the window ends.`,
        tags: ['public links'],
        params: TokenParams,
        body: UnlockBody,
        response: { 200: Unlocked, ...problems(400, 401, 404, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const { row } = await linkOf(request.params.token);
      if (!row.has_password) throw new AppError(409, 'link-not-protected', 'No password', 'This link has no password: read it directly.');
      const address = request.context.clientAddress;
      const window = config.LINK_THROTTLE_WINDOW_SECONDS;
      // every try is counted before its password is checked, in one atomic step, so tries sent at
      // once cannot all pass a count read before any of them was added (nor each cost a hash
      // check in sessions); a try refused, or a right password, gives its count back
      const perLinkKey = triesKey(row.link_id);
      const perAddressKey = addressTriesKey(address);
      const counted = await app.redis.multi().incr(perLinkKey).expire(perLinkKey, window, 'NX').incr(perAddressKey).expire(perAddressKey, window, 'NX').exec();
      const perLink = Number(counted?.[0]?.[1] ?? 0);
      const perAddress = Number(counted?.[2]?.[1] ?? 0);
      // (a key that expired meanwhile comes back at -1: it gets the window's expiry again, never stays)
      const giveBack = () => app.redis.multi().decr(perLinkKey).expire(perLinkKey, window, 'NX').decr(perAddressKey).expire(perAddressKey, window, 'NX').exec();
      if (perLink > config.LINK_PASSWORD_TRIES_PER_LINK || perAddress > config.LINK_PASSWORD_TRIES_PER_ADDRESS) {
        // a try refused unchecked is not counted: only wrong passwords use the budget up
        await giveBack();
        const ttl = Math.max(1, await app.redis.ttl(perLink > config.LINK_PASSWORD_TRIES_PER_LINK ? perLinkKey : perAddressKey));
        reply.header('retry-after', String(ttl));
        throw new AppError(429, 'link-password-throttled', 'Too many tries', `Too many wrong passwords; try again in ${ttl} s.`, { retryAfterSeconds: ttl });
      }
      const stored = await app.linkCommands.load(row.link_id);
      const hash = stored.state.status === 'active' ? stored.state.passwordHash : null;
      if (!hash || !usable(stored.state, app.clock.now())) {
        await giveBack();
        throw linkGone();
      }
      const { ok } = await sessionsCall<{ ok: boolean }>(SESSIONS_PASSWORD_VERIFY_PATH, { password: request.body.password, hash }).catch(async (error: unknown) => {
        await giveBack();
        throw error;
      });
      if (!ok) {
        await use(request, row.link_id, 'unlock', true);
        throw new AppError(401, 'link-password-wrong', 'Wrong password', 'That is not the password of this link.');
      }
      await giveBack();
      await use(request, row.link_id, 'unlock');
      const linkToken = randomBytes(32).toString('base64url');
      await app.redis.set(unlockKey(linkToken), row.link_id, 'EX', config.LINK_UNLOCK_TTL_SECONDS);
      reply.header('cache-control', 'no-store');
      return { linkToken, expiresAt: new Date(app.clock.now().getTime() + config.LINK_UNLOCK_TTL_SECONDS * 1000).toISOString() };
    },
  );

  r.get(
    '/api/v1/public/links/:token/content',
    {
      // a HEAD would count as a download
      exposeHeadRoute: false,
      schema: {
        summary: "The link's content: the file, or a ZIP of the folder (counted against the link's download limit)",
        description: 'Past the download limit a 410 link-download-limit (the limit holds under concurrent downloads). Password-protected links need the link token (X-Link-Token or ?linkToken=).',
        tags: ['public links'],
        params: TokenParams,
        headers: LinkTokenHeaders,
        querystring: LinkTokenQuery,
        response: { 200: { description: 'The file or the archive, an attachment', content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } }, ...problems(400, 401, 404, 409, 410, 503) },
      },
    },
    async (request, reply) => {
      const { row, item } = await linkOf(request.params.token);
      await checkUnlocked(request, row, request.headers['x-link-token'] ?? request.query.linkToken);
      if (item.kind === 'file') {
        const version = await app.db.selectFrom('files.versions').selectAll().where('file_id', '=', row.item_id).where('version', '=', item.file.version).executeTakeFirst();
        if (!version) throw linkGone();
        if (version.tier === 'Archive') throw new AppError(409, 'file-archived', 'File archived', 'The file is in the archive tier; ask its owner to bring it back.');
        const used = await use(request, row.link_id, 'download');
        if (used.outcome === 'download-limit') throw new AppError(410, 'link-download-limit', 'Download limit reached', 'This link has given all the downloads it was made for.');
        return sendFile(reply, item.name, version);
      }
      // counted once the archive can be made: a 404, 409 or 422 uses no download up
      return sendZip(request, reply, row.owner_id, [{ kind: 'folder', id: row.item_id }], async () => {
        const used = await use(request, row.link_id, 'download');
        if (used.outcome === 'download-limit') throw new AppError(410, 'link-download-limit', 'Download limit reached', 'This link has given all the downloads it was made for.');
      });
    },
  );

  async function sendFile(reply: FastifyReply, name: string, version: { blob_name: string; size: string | number; content_type: string; sha256: string }) {
    const size = Number(version.size);
    reply
      .type(servedContentType(version.content_type))
      .header('content-length', String(size))
      .header('content-disposition', contentDisposition(name))
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer');
    if (size === 0) return reply.send('');
    try {
      const download = await app.blobs.getBlockBlobClient(version.blob_name).download(0, size, { maxRetryRequests: 3 });
      return reply.send(download.readableStreamBody);
    } catch (error) {
      if (error instanceof RestError && error.code === 'BlobNotFound') throw linkGone();
      throw error;
    }
  }
}
