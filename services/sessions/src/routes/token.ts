import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { requireMediaType } from '../request-guards.js';
import { Jwks, TokenRequest, TokenResponse, problems } from '../schemas/index.js';

/** RFC 6749 error codes, carried as the `error` member of a problem+json body. */
function oauthError(reply: FastifyReply, status: 400 | 401, error: string, detail: string): AppError {
  if (status === 401) reply.header('www-authenticate', 'Basic realm="strata"');
  return new AppError(status, `oauth-${error.replaceAll('_', '-')}`, status === 401 ? 'Unauthorized' : 'Bad request', detail, { error });
}

/**
 * Client credentials from `Authorization: Basic`: undefined when the header names another scheme
 * (or there is none), 'malformed' when it is Basic but cannot be read. RFC 6749 2.3.1 form-encodes
 * the id and the secret before joining them with a colon, so each half is form-decoded; the id
 * ends at the first colon (RFC 7617).
 */
export function basicCredentials(header: string | undefined): { id: string; secret: string } | 'malformed' | undefined {
  const match = /^basic(?:$| +(.*)$)/i.exec(header ?? '');
  if (!match) return undefined;
  const encoded = match[1]?.trim() ?? '';
  // a client id and secret fit easily; anything longer is not one
  if (encoded.length === 0 || encoded.length > 1024 || encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return 'malformed';
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  const formDecode = (s: string) => decodeURIComponent(s.replaceAll('+', ' '));
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    // URIError: a % not followed by two hex digits (`%:x`), or bytes that are not UTF-8
    return 'malformed';
  }
}

/** OAuth 2.0 client credentials (RFC 6749 4.4) for partner systems. */
export async function tokenRoutes(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
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
        response: { 200: TokenResponse, ...problems(400, 401, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.grant_type !== 'client_credentials') {
        throw oauthError(reply, 400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
      }
      // HTTP Basic (preferred by RFC 6749) or the body, never both (2.3: one method per request)
      const basic = basicCredentials(request.headers.authorization);
      if (basic === 'malformed') throw oauthError(reply, 401, 'invalid_client', 'The Basic credentials are not base64 of two form-encoded halves, id:secret.');
      if (basic && (body.client_id !== undefined || body.client_secret !== undefined)) {
        throw oauthError(reply, 400, 'invalid_request', 'Send the client credentials either in HTTP Basic or in the body, not in both.');
      }
      const clientId = basic ? basic.id : body.client_id;
      const clientSecret = basic ? basic.secret : body.client_secret;
      if (!clientId || !clientSecret || !/^[A-Za-z0-9_-]{3,100}$/.test(clientId)) {
        throw oauthError(reply, 401, 'invalid_client', 'Client authentication failed.');
      }
      const { state } = await app.commands.clients.load(clientId);
      const ok = await app.passwords.verify(clientSecret, state.status === 'active' ? state.secretHash : undefined);
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
    { schema: { summary: 'Public keys that verify Strata access tokens', tags: ['auth'], response: { 200: Jwks } } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return app.jwks();
    },
  );
}
