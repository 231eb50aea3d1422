import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { decoyHash, verifyPassword } from '../passwords.js';
import { requireMediaType } from '../request-guards.js';
import { TokenRequest, TokenResponse, problems } from '../schemas/index.js';
import { clientDecider, clientStream } from '../streams.js';

/** RFC 6749 error codes, carried as the `error` member of a problem+json body. */
function oauthError(reply: FastifyReply, status: 400 | 401, error: string, detail: string): AppError {
  if (status === 401) reply.header('www-authenticate', 'Basic realm="strata"');
  return new AppError(status, `oauth-${error.replaceAll('_', '-')}`, status === 401 ? 'Unauthorized' : 'Bad request', detail, { error });
}

/** OAuth 2.0 client credentials (RFC 6749 4.4) for partner systems. */
export async function tokenRoutes(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const scrypt = { N: 2 ** config.PASSWORD_SCRYPT_LOG_N, r: 8, p: 1, keyLength: 32 };
  // RFC 6749 sends the token request form-encoded; only this route reads forms (it sets no
  // cookie, so a form posted from another site gains nothing)
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  r.post(
    '/api/v1/auth/token',
    {
      onRequest: requireMediaType('application/x-www-form-urlencoded', 'application/json'),
      schema: {
        summary: 'Partner access token (OAuth 2.0 client credentials)',
        tags: ['auth'],
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: TokenRequest,
        response: { 200: TokenResponse, ...problems(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.grant_type !== 'client_credentials') {
        throw oauthError(reply, 400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
      }
      // HTTP Basic (preferred by RFC 6749) or the body
      let clientId = body.client_id;
      let clientSecret = body.client_secret;
      const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? '');
      if (basic?.[1]) {
        const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
        clientId = id ? decodeURIComponent(id) : undefined;
        clientSecret = secret ? decodeURIComponent(secret) : undefined;
      }
      if (!clientId || !clientSecret || !/^[A-Za-z0-9_-]{3,100}$/.test(clientId)) {
        throw oauthError(reply, 401, 'invalid_client', 'Client authentication failed.');
      }
      const { state } = await app.commands.load(clientStream(clientId), clientDecider);
      const ok = await verifyPassword(clientSecret, state.status === 'active' ? state.secretHash : await decoyHash(scrypt));
      if (state.status !== 'active' || !ok) throw oauthError(reply, 401, 'invalid_client', 'Client authentication failed.');

      const requested = body.scope ? body.scope.split(' ').filter(Boolean) : state.scopes;
      const refused = requested.filter((s) => !state.scopes.includes(s));
      if (refused.length > 0) throw oauthError(reply, 400, 'invalid_scope', `Not granted to this client: ${refused.join(' ')}`);

      const { token } = await app.signer.sign({ sub: state.clientId, kind: 'partner', scope: requested, plan: state.plan });
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return { access_token: token, token_type: 'Bearer' as const, expires_in: config.ACCESS_TOKEN_TTL_SECONDS, scope: requested.join(' ') };
    },
  );

  r.get(
    '/.well-known/jwks.json',
    { schema: { summary: 'Public keys that verify Strata access tokens', tags: ['auth'] } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return app.jwks;
    },
  );
}
