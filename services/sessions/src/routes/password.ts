import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ConcurrencyError } from '@strata/event-store';
import { AppError, httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { normaliseEmail } from '../domain/account/account.js';
import { AccountNotFoundError, PasswordChangedMeanwhileError, ResetTokenInvalidError } from '../domain/account/decide.js';
import { resetTokenOwner } from '../projections/password-resets.js';
import { userById } from '../projections/users.js';
import { requireMediaType, requireOwnOrigin } from '../request-guards.js';
import { Accepted, ChangePasswordBody, PasswordResetBody, PasswordResetConfirmBody, problems } from '../schemas/index.js';

const tokenHashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const invalidToken = () =>
  new AppError(400, 'reset-token-invalid', 'Bad request', 'This reset link is not valid: it was used already, has expired, or a newer password was set. Ask for a new one.');

/**
 * Passwords the owner manages: a change with the current password, and a reset by a token mailed
 * to the account's address.
 */
export async function passwordRoutes(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const jsonOnly = requireMediaType('application/json');
  const fromOurPages = [requireOwnOrigin(config.PUBLIC_ORIGINS), jsonOnly];

  r.post(
    '/api/v1/me/password',
    {
      onRequest: fromOurPages,
      preHandler: app.authenticate,
      schema: {
        summary: 'Change your password; every other session is signed out',
        description:
          'The current password is required. A wrong one is 403 and counts as a failed sign-in of the account ' +
          '(429 with Retry-After past the limit). This session stays signed in; every other one ends.',
        tags: ['account'],
        security: [{ bearer: [] }],
        consumes: ['application/json'],
        body: ChangePasswordBody,
        response: { 204: { type: 'null' }, ...problems(400, 401, 403, 409, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const auth = request.auth;
      if (!auth || auth.kind !== 'user' || !auth.sid) throw httpError(403, 'Only a signed-in user can do this.');
      const user = await userById(app.db, auth.sub);
      if (!user) throw httpError(404, 'No such user.');
      const address = request.context.clientAddress;
      await app.loginThrottle.check(user.email, address, reply);
      const { state } = await app.commands.accounts.load(user.email);
      if (state.status !== 'registered' || state.userId !== auth.sub) throw httpError(404, 'No such user.');
      if (!(await app.passwords.verify(request.body.current, state.passwordHash))) {
        await app.loginThrottle.failed(user.email, address);
        throw new AppError(403, 'current-password-wrong', 'Forbidden', 'The current password is not right.');
      }
      await app.loginThrottle.succeeded(user.email);
      const passwordHash = await app.passwords.hash(request.body.next);
      const metadata = request.context.metadata(`user:${auth.sub}`);
      try {
        await app.commands.accounts.handle(
          user.email,
          { type: 'ChangePassword', data: { userId: auth.sub, previousHash: state.passwordHash, passwordHash, now: app.clock.now() } },
          { metadata },
        );
      } catch (error) {
        if (error instanceof PasswordChangedMeanwhileError || error instanceof ConcurrencyError) {
          throw new AppError(409, 'password-changed-meanwhile', 'Conflict', 'The password was changed at the same moment; sign in again and retry.');
        }
        throw error;
      }
      await app.revokeSessionsOf(auth.sub, 'password-changed', `user:${auth.sub}`, metadata, auth.sid);
      return reply.code(204).send();
    },
  );

  /**
   * Mails a reset link when the address is registered. The answer is given before anything is
   * looked up, and is the same either way: neither its content nor its timing says whether the
   * account exists. The work goes on after it (a crash meanwhile loses one mail: ask again).
   */
  const requestReset = async (email: string, request: FastifyRequest) => {
    const account = `strata:password-reset-mails:${createHash('sha256').update(normaliseEmail(email)).digest('hex').slice(0, 32)}`;
    const [[, sent] = []] = (await app.redis.multi().incr(account).expire(account, config.LOGIN_FAILURE_WINDOW_SECONDS, 'NX').exec()) ?? [];
    if (Number(sent) > config.PASSWORD_RESET_MAILS_PER_ACCOUNT) {
      request.log.info('password reset not mailed: too many for this account in the window');
      return;
    }
    const { state } = await app.commands.accounts.load(email);
    if (state.status !== 'registered') return;
    const token = randomBytes(32).toString('base64url');
    const now = app.clock.now();
    const expiresAt = new Date(now.getTime() + config.PASSWORD_RESET_TTL_SECONDS * 1000);
    await app.commands.accounts.handle(
      email,
      { type: 'RequestPasswordReset', data: { userId: state.userId, tokenHash: tokenHashOf(token), expiresAt, now } },
      { metadata: request.context.metadata('anonymous'), retries: 2 },
    );
    const origin = config.PUBLIC_ORIGINS[0]!;
    const minutes = Math.round(config.PASSWORD_RESET_TTL_SECONDS / 60);
    await app.mailer.send(
      {
        to: state.email,
        subject: 'Reset your Strata password',
        paragraphs: [
          `Hello ${state.displayName} (${state.email}),`,
          `someone, we hope you, asked to reset the password of your Strata account. The link below works once, for ${minutes} minutes.`,
          'If it was not you, ignore this mail: your password stays as it is.',
        ],
        // in the fragment: a browser never sends it to a server or in a Referer
        link: { href: `${origin}/reset-password#token=${token}`, text: 'Choose a new password' },
      },
      now,
    );
  };

  r.post(
    '/api/v1/auth/password-reset',
    {
      onRequest: fromOurPages,
      schema: {
        summary: 'Ask for a password-reset link by e-mail',
        description:
          'Always 202 (for a well-formed address), at once and alike whether or not an account has this address; ' +
          'when one does, a link that works once for 30 minutes is mailed to it.',
        tags: ['auth'],
        consumes: ['application/json'],
        body: PasswordResetBody,
        response: { 202: Accepted, ...problems(400, 403, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const { email } = request.body;
      const log = request.log;
      setImmediate(() => {
        requestReset(email, request).catch((err: unknown) => log.error({ err }, 'password reset not mailed'));
      });
      reply.code(202).header('cache-control', 'no-store');
      return { status: 'accepted' as const };
    },
  );

  r.post(
    '/api/v1/auth/password-reset/confirm',
    {
      onRequest: fromOurPages,
      schema: {
        summary: 'Set a new password with a reset token; every session is signed out',
        description: 'The token works once, within 30 minutes of the request, and only while no newer password was set.',
        tags: ['auth'],
        consumes: ['application/json'],
        body: PasswordResetConfirmBody,
        response: { 204: { type: 'null' }, ...problems(400, 403, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const tokenHash = tokenHashOf(request.body.token);
      const owner = await resetTokenOwner(app.db, tokenHash);
      if (!owner) throw invalidToken();
      const user = await userById(app.db, owner.user_id);
      if (!user) throw invalidToken();
      // a spent or expired token costs no hash
      const { state } = await app.commands.accounts.load(user.email);
      const pending = state.status === 'registered' ? state.pendingResets.find((p) => p.tokenHash === tokenHash) : undefined;
      if (!pending || pending.expiresAt.getTime() <= app.clock.now().getTime()) throw invalidToken();
      const passwordHash = await app.passwords.hash(request.body.password);
      const metadata = request.context.metadata(`user:${user.user_id}`);
      try {
        // a second confirm of the same token loses the race, reads again and finds it spent
        await app.commands.accounts.handle(
          user.email,
          { type: 'ResetPassword', data: { userId: user.user_id, tokenHash, passwordHash, now: app.clock.now() } },
          { metadata, retries: 2 },
        );
      } catch (error) {
        if (error instanceof ResetTokenInvalidError || error instanceof AccountNotFoundError || error instanceof ConcurrencyError) throw invalidToken();
        throw error;
      }
      await app.loginThrottle.succeeded(user.email);
      await app.revokeSessionsOf(user.user_id, 'password-reset', `user:${user.user_id}`, metadata);
      reply.header('cache-control', 'no-store');
      return reply.code(204).send();
    },
  );
}
