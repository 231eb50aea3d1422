import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppIds, SESSIONS_PASSWORD_HASH_PATH, SESSIONS_PASSWORD_VERIFY_PATH, SESSIONS_USER_BY_EMAIL_PATH } from '@strata/contracts';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const strict = { additionalProperties: false } as const;
/** A share link's password: the same bounds as an account's. */
const Password = Type.String({ minLength: 1, maxLength: 1024 });
/** What a stored hash looks like (Argon2id's PHC string); anything else is refused before argon2 reads it. */
const Hash = Type.String({ minLength: 20, maxLength: 512, pattern: '^\\$argon2id\\$' });

/**
 * What files asks of sessions for sharing, through Dapr, never the public: no PublicRoutes row
 * leads here, every caller but files is answered 404 (`dapr-caller-app-id`, which only the
 * sidecar sets; deploy/'s accessControl allows files these operations only). Untagged, so the
 * public OpenAPI document leaves them out.
 *
 * - the account of an e-mail (a share's recipient): its user id, nothing else of it;
 * - a share link's password hashed, and checked, by the same hasher (Argon2id at the configured
 *   cost, through the same gate) as account passwords: one implementation of password storage.
 */
export async function internalRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const filesOnly = async (request: FastifyRequest) => {
    if (request.context.callerAppId !== AppIds.files) throw httpError(404, `No route ${request.method} ${request.url.split('?')[0]}`);
  };

  r.post(
    SESSIONS_USER_BY_EMAIL_PATH,
    { preHandler: filesOnly, schema: { body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 254 }) }, strict) } },
    async (request) => {
      const { state } = await app.commands.accounts.load(request.body.email);
      if (state.status !== 'registered') throw httpError(404, 'No account has that e-mail address.');
      return { userId: state.userId };
    },
  );

  r.post(SESSIONS_PASSWORD_HASH_PATH, { preHandler: filesOnly, schema: { body: Type.Object({ password: Password }, strict) } }, async (request) => ({
    hash: await app.passwords.hash(request.body.password),
  }));

  r.post(
    SESSIONS_PASSWORD_VERIFY_PATH,
    { preHandler: filesOnly, schema: { body: Type.Object({ password: Password, hash: Hash }, strict) } },
    async (request) => ({ ok: await app.passwords.verify(request.body.password, request.body.hash) }),
  );
}
