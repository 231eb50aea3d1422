import { Type, type Static } from '@sinclair/typebox';
import { AppIds } from '@strata/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { PublicJwks } from './keys.js';
import { authPlugin } from './plugin.js';
import { RevocationList } from './revocations.js';
import { TokenVerifier } from './tokens.js';

/** Token settings every service that checks tokens reads (validated with its config at boot). */
export const AuthConfigSchema = Type.Object({
  TOKEN_ISSUER: Type.String({ default: 'strata' }),
  TOKEN_AUDIENCE: Type.String({ default: 'strata-api' }),
  /**
   * How often token verifiers (and the sessions service, from the secret store) load the key set
   * again, so that a key removed from it stops verifying without a restart. At most 5 minutes.
   */
  TOKEN_KEYS_REFRESH_MS: Type.Integer({ minimum: 1_000, maximum: 300_000, default: 300_000 }),
});
export type AuthConfig = Static<typeof AuthConfigSchema>;

declare module 'fastify' {
  interface FastifyInstance {
    revocations: RevocationList;
  }
}

/**
 * Token checks for a service: public keys fetched from the sessions service through Dapr service
 * invocation (or given by sessions itself), revocations shared through Redis. Needs `app.dapr`
 * and `app.redis`.
 */
export const tokenAuth = fp(
  async (app: FastifyInstance, opts: { config: AuthConfig; loadJwks?: () => Promise<PublicJwks>; minReloadIntervalMs?: number }) => {
    const loadJwks =
      opts.loadJwks ??
      (async () => {
        const res = await app.dapr.invoke(AppIds.sessions, '.well-known/jwks.json', { timeoutMs: 3_000 });
        if (!res.ok) throw new Error(`sessions answered ${res.status} for its JWKS`);
        return (await res.json()) as PublicJwks;
      });
    const verifier = new TokenVerifier({
      issuer: opts.config.TOKEN_ISSUER,
      audience: opts.config.TOKEN_AUDIENCE,
      loadJwks,
      refreshIntervalMs: opts.config.TOKEN_KEYS_REFRESH_MS,
      ...(opts.minReloadIntervalMs !== undefined ? { minReloadIntervalMs: opts.minReloadIntervalMs } : {}),
      onLoadError: (err) => app.log.warn({ err }, 'token keys not loaded; the last good set stays in use'),
    });
    verifier.start();
    app.addHook('onClose', async () => verifier.stop());
    // an app that cannot check tokens yet (sessions not up when it started) is not ready: it would
    // answer every caller 503; the probe also loads the keys, so it recovers without traffic
    app.addReadinessCheck('token-keys', async () => {
      try {
        await verifier.ensureKeys();
        return { ok: true };
      } catch (error) {
        return { ok: false, reason: `the token signing keys could not be loaded: ${error instanceof Error ? error.message : String(error)}` };
      }
    });
    const revocations = new RevocationList(app.redis);
    await revocations.start();
    app.decorate('revocations', revocations);
    app.addHook('onClose', async () => revocations.stop());
    await app.register(authPlugin, { verifier, revocations });
  },
  { name: 'strata-token-auth', dependencies: ['strata-redis', 'strata-dapr'] },
);

/**
 * The decorators routes are built with (`authenticate`, `requireScopes`) for an instance that only
 * describes its API (service-kit's describeApi): no key is ever loaded, so any request it were
 * given would be refused, never let through.
 */
export const describingAuth = fp(
  async (app: FastifyInstance) => {
    const verifier = new TokenVerifier({
      issuer: 'none',
      audience: 'none',
      loadJwks: async () => {
        throw new Error('this instance only describes its API');
      },
    });
    await app.register(authPlugin, { verifier, revocations: { isRevoked: () => true } });
  },
  { name: 'strata-token-auth' },
);
