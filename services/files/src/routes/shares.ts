import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppIds, SESSIONS_USER_BY_EMAIL_PATH } from '@strata/contracts';
import { ConcurrencyError } from '@strata/event-store';
import { AppError, httpError, unavailable } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { type Caller, callerOf, metadataOf } from '../caller.js';
import { ShareExistsError, ShareNotFoundError, ShareWithSelfError } from '../domain/share/decide.js';
import type { ShareKind } from '../domain/share/share.js';
import { liveFolder } from '../projections/folder-queries.js';
import { ownerOfActive } from '../projections/queries.js';
import { shareOf, sharedWith, sharesOf } from '../projections/shares.js';
import { problems } from '../schemas/index.js';
import { ChangeShareBody, CreateShareBody, Share, ShareList, ShareParams, ShareQuery, SharedWithMe } from '../schemas/shares.js';

const shareNotFound = () => httpError(404, 'No such share.');
const itemNotFound = (kind: ShareKind) => httpError(404, kind === 'file' ? 'No such file.' : 'No such folder.');

/** Whether the caller owns this live item: only the owner shares it, lists its shares, or makes links to it. */
export async function ownsItem(app: FastifyInstance, caller: Caller, kind: ShareKind, id: string): Promise<boolean> {
  if (kind === 'file') return (await ownerOfActive(app.db, id)) === caller.ownerId;
  return (await liveFolder(app.db, caller.ownerId, id)) !== undefined;
}

/** A Postgres unique violation on the one-share-per-recipient index: the share exists already. */
const isDuplicateShare = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505' && (error as { constraint?: string }).constraint === 'shares_one_per_recipient';

function shareError(error: unknown): unknown {
  if (error instanceof ShareNotFoundError) return shareNotFound();
  if (error instanceof ShareExistsError || isDuplicateShare(error)) return new AppError(409, 'share-exists', 'Already shared', 'The item is shared with that account already: change the role of that share instead.');
  if (error instanceof ShareWithSelfError) return new AppError(422, 'share-with-self', 'Cannot share with yourself', 'That e-mail is your own account.');
  if (error instanceof ConcurrencyError) return httpError(409, 'The share changed at the same time: retry.');
  return error;
}

/**
 * Shares with other users (issue 16): by the e-mail of an existing account, of a file or a
 * folder (everything inside it), as viewer or editor. Only the owner shares, lists, changes and
 * revokes; a recipient finds what is shared with them under GET /shared-with-me.
 */
export async function shareRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const userOnly = (scope: 'files:read' | 'files:write') => async (request: FastifyRequest, reply: Parameters<typeof app.authenticate>[1]) => {
    await app.requireScopes(scope)(request, reply);
    if (request.auth?.kind !== 'user') throw httpError(403, 'Sharing is for signed-in users.');
  };

  /** The user id of an account by e-mail, through sessions (Dapr); undefined when there is none. */
  async function recipientOf(email: string): Promise<string | undefined> {
    let res: Response;
    try {
      res = await app.dapr.invoke(AppIds.sessions, SESSIONS_USER_BY_EMAIL_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
        timeoutMs: 5_000,
      });
    } catch {
      throw unavailable('The accounts service cannot be reached; try again in a moment.');
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw unavailable('The accounts service did not answer; try again in a moment.');
    }
    return ((await res.json()) as { userId: string }).userId;
  }

  r.post(
    '/api/v1/shares',
    {
      preHandler: userOnly('files:write'),
      schema: {
        summary: 'Share a file or a folder with another account, by its e-mail, as viewer or editor',
        description:
          'Only the owner shares. An e-mail that is no account is a 422 unknown-recipient (it says nothing more of it); a second share of the item with the same account a 409 share-exists; your own e-mail a 422 share-with-self.',
        tags: ['sharing'],
        security,
        body: CreateShareBody,
        response: { 201: Share, ...problems(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { kind, id, email, role } = request.body;
      if (!(await ownsItem(app, caller, kind, id))) throw itemNotFound(kind);
      const recipientId = await recipientOf(email);
      if (!recipientId) throw new AppError(422, 'unknown-recipient', 'Unknown recipient', 'No account can be shared with at that e-mail address.');
      const shareId = randomUUID();
      try {
        await app.shareCommands.handle(
          shareId,
          { type: 'CreateShare', data: { shareId, ownerId: caller.ownerId, kind, itemId: id, recipientId, email: email.trim(), role, now: app.clock.now() } },
          { metadata: metadataOf(request, caller) },
        );
      } catch (error) {
        throw shareError(error);
      }
      const share = await shareOf(app.db, caller.ownerId, shareId);
      return reply.code(201).header('location', `/api/v1/shares/${shareId}`).header('cache-control', 'no-store').send(share!);
    },
  );

  r.get(
    '/api/v1/shares',
    {
      preHandler: userOnly('files:read'),
      schema: { summary: 'Who has access to one of your files or folders', tags: ['sharing'], security, querystring: ShareQuery, response: { 200: ShareList, ...problems(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { kind, id } = request.query;
      if (!(await ownsItem(app, caller, kind, id))) throw itemNotFound(kind);
      reply.header('cache-control', 'no-store');
      return { items: await sharesOf(app.db, caller.ownerId, kind, id) };
    },
  );

  r.patch(
    '/api/v1/shares/:id',
    {
      preHandler: userOnly('files:write'),
      schema: { summary: "Change a share's role", tags: ['sharing'], security, params: ShareParams, body: ChangeShareBody, response: { 200: Share, ...problems(400, 401, 403, 404, 409, 413, 415) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      try {
        await app.shareCommands.handle(request.params.id, { type: 'ChangeShareRole', data: { ownerId: caller.ownerId, role: request.body.role, now: app.clock.now() } }, { metadata: metadataOf(request, caller), retries: 3 });
      } catch (error) {
        throw shareError(error);
      }
      const share = await shareOf(app.db, caller.ownerId, request.params.id);
      if (!share) throw shareNotFound();
      reply.header('cache-control', 'no-store');
      return share;
    },
  );

  r.delete(
    '/api/v1/shares/:id',
    {
      preHandler: userOnly('files:write'),
      schema: {
        summary: 'Revoke a share: the recipient loses access at once (404), and their live stream carries no more of the item',
        tags: ['sharing'],
        security,
        params: ShareParams,
        response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      try {
        await app.shareCommands.handle(request.params.id, { type: 'RevokeShare', data: { ownerId: caller.ownerId, now: app.clock.now() } }, { metadata: metadataOf(request, caller), retries: 3 });
      } catch (error) {
        throw shareError(error);
      }
      return reply.code(204).send();
    },
  );

  r.get(
    '/api/v1/shared-with-me',
    {
      preHandler: userOnly('files:read'),
      schema: {
        summary: 'What other accounts share with you: files and folders, with the role each share gives',
        description: 'Items in their owner’s trash are left out (and cannot be read) until restored.',
        tags: ['sharing'],
        security,
        response: { 200: SharedWithMe, ...problems(401, 403) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return { items: await sharedWith(app.db, callerOf(request).ownerId) };
    },
  );
}
