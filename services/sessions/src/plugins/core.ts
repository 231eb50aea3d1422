import { type PublicJwks, ScheduledValue, type SigningKeySet, TokenSigner, currentKey, parseKeySet, publicJwks } from '@strata/auth';
import { Components, Secrets } from '@strata/contracts';
import { type EventMetadata, EventStore, kyselyFromPool } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import type { Kysely } from 'kysely';
import { type SessionsCommands, sessionsCommands } from '../commands.js';
import type { Config } from '../config.js';
import { migrateReadModels } from '../db/migrate.js';
import type { Database } from '../db/schema.js';
import { SessionNotFoundError } from '../domain/session/decide.js';
import { HashingBusyError, PasswordHasher } from '../password-hasher.js';
import type { UserRevocationReason } from '../domain/session/session.js';
import { sessionStream } from '../streams.js';
import { LoginThrottle } from './login-throttle.js';
import { Mailer } from '../mail.js';
import { openSessionIdsOf } from '../projections/session-list.js';

declare module 'fastify' {
  interface FastifyInstance {
    store: EventStore;
    db: Kysely<Database>;
    /** The command paths: `accounts`, `sessions`, `clients`. */
    commands: SessionsCommands;
    signer: TokenSigner;
    /** The public half of the signing keys as they are now (reloaded on a schedule). */
    jwks: () => PublicJwks;
    loginThrottle: LoginThrottle;
    passwords: PasswordHasher;
    /** Ends a session after its SessionRevoked is stored: tokens refused everywhere, live record gone. */
    endSession(sessionId: string): Promise<void>;
    /** Stores a revocation (if the session is still live) and ends it. */
    revokeSession(sessionId: string, userId: string, reason: UserRevocationReason, by: string, metadata: EventMetadata): Promise<'revoked' | 'not-found'>;
    /** Ends every open session of a user but `keep` (the caller's own, after a password change); how many it ended. */
    revokeSessionsOf(userId: string, reason: UserRevocationReason, by: string, metadata: EventMetadata, keep?: string): Promise<number>;
    /** Outgoing mail through the `mail` output binding. */
    mailer: Mailer;
  }
}

/**
 * The service's core: the event store and read models in schema `sessions` (migrated at start
 * under a lock), the command handlers, signing keys from the secret store, the login throttle and
 * the password hasher.
 */
export const corePlugin = fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const { config } = opts;
    const db = kyselyFromPool(app.pg, { namedStatements: app.pgNamedStatements }) as Kysely<Database>;
    // migrations hold session locks: past the pooler, where a session is this replica's own
    const direct = kyselyFromPool(app.pgDirect, { namedStatements: false });
    await migrateReadModels(direct as Kysely<unknown>);
    const store = await EventStore.open({ db, schema: 'sessions' }, { db: direct });
    app.decorate('db', db);
    app.decorate('store', store);
    app.decorate('commands', sessionsCommands({ store, db, clock: app.clock }));

    // Read again on the verifiers' schedule, so that a rotation in the secret store (a key added:
    // it signs; a key removed: it is no longer published) needs no restart. A failed read keeps
    // the last good set; the first one must succeed, or the service does not start.
    let kids = '';
    const keys = new ScheduledValue<SigningKeySet>({
      load: async () => {
        const set = parseKeySet(await app.secrets.read(Secrets.tokenSigningKeys, config.TOKEN_SIGNING_KEYS));
        const now = set.keys.map((k) => k.kid).join(' ');
        if (now !== kids) app.log.info({ kids: set.keys.map((k) => k.kid) }, 'token signing keys loaded');
        kids = now;
        return set;
      },
      intervalMs: config.TOKEN_KEYS_REFRESH_MS,
      onError: (err) => app.log.warn({ err }, 'token signing keys not reloaded; the last good set stays in use'),
    });
    const first = await keys.load();
    keys.start();
    app.addHook('onClose', async () => keys.stop());
    // never undefined once loaded; `first` only tells the type checker so
    const signingKeys = () => keys.current ?? first;
    app.decorate('signer', new TokenSigner(signingKeys, { issuer: config.TOKEN_ISSUER, audience: config.TOKEN_AUDIENCE, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS }));
    app.decorate('jwks', () => publicJwks(signingKeys()));
    // TokenSigningKeyRotationDue (deploy/README.md): when the key that signs now was made
    new Gauge({
      name: 'token_signing_key_created_timestamp_seconds',
      help: 'When the token signing key in use was created (its createdAt), in seconds since the epoch.',
      registers: [app.metrics],
      collect() {
        this.set(Date.parse(currentKey(signingKeys(), app.clock.now()).createdAt) / 1000);
      },
    });


    app.decorate(
      'loginThrottle',
      new LoginThrottle(app.redis, {
        perAccount: config.LOGIN_FAILURES_PER_ACCOUNT,
        perAddress: config.LOGIN_FAILURES_PER_ADDRESS,
        windowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
      }),
    );

    app.decorate(
      'passwords',
      await PasswordHasher.create(
        { memoryCost: config.PASSWORD_ARGON2_MEMORY_KIB, timeCost: config.PASSWORD_ARGON2_TIME_COST, parallelism: 1 },
        { concurrency: config.PASSWORD_HASH_CONCURRENCY, queue: config.PASSWORD_HASH_QUEUE },
      ),
    );
    app.addHook('onError', async (_request, reply, error) => {
      if (error instanceof HashingBusyError) reply.header('retry-after', String(error.retryAfterSeconds));
    });

    const endSession = async (sessionId: string) => {
      // an access token lives at most its TTL: that long the session must stay on the list
      await app.revocations.revoke(sessionId, app.clock.now().getTime() + config.ACCESS_TOKEN_TTL_SECONDS * 1000 + 60_000);
      await app.dapr.deleteState(Components.statestore, sessionStream(sessionId));
    };
    app.decorate('endSession', endSession);
    app.decorate('revokeSession', async (sessionId: string, userId: string, reason: UserRevocationReason, by: string, metadata: EventMetadata) => {
      try {
        await app.commands.sessions.handle(sessionId, { type: 'RevokeSession', data: { reason, by, userId, now: app.clock.now() } }, { metadata });
      } catch (error) {
        if (error instanceof SessionNotFoundError) return 'not-found';
        throw error;
      }
      await endSession(sessionId);
      return 'revoked';
    });
    app.decorate('revokeSessionsOf', async (userId: string, reason: UserRevocationReason, by: string, metadata: EventMetadata, keep?: string) => {
      let ended = 0;
      for (const sessionId of await openSessionIdsOf(db, userId)) {
        if (sessionId === keep) continue;
        if ((await app.revokeSession(sessionId, userId, reason, by, metadata)) === 'revoked') ended += 1;
      }
      return ended;
    });
    app.decorate('mailer', new Mailer(app.dapr, config.MAIL_FROM));
  },
  { name: 'sessions-core', dependencies: ['strata-postgres', 'strata-redis', 'strata-dapr', 'strata-request-context'] },
);
