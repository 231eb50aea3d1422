import { type JWTPayload, SignJWT, createLocalJWKSet, errors, jwtVerify } from 'jose';
import { randomUUID } from 'node:crypto';
import { type PublicJwks, type SigningKeySet, TOKEN_ALG, currentKey, importPrivateKey } from './keys.js';
import { ScheduledValue } from './scheduled.js';

/** RFC 9068 access-token media type, checked on every verification. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

export type SubjectKind = 'user' | 'partner';

export interface AccessClaims {
  /** User id or partner client id. */
  sub: string;
  kind: SubjectKind;
  /** Session id (users only): revoking the session revokes its tokens. */
  sid?: string;
  scope: string[];
  /** The partner's plan, for rate limits. */
  plan?: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export class TokenSigner {
  /** `keys` may be a function: the set as it is now, when it is reloaded while the service runs. */
  constructor(
    private readonly keys: SigningKeySet | (() => SigningKeySet),
    private readonly settings: TokenSettings,
  ) {}

  /** Signs a short-lived access token with the newest key due at `now`. */
  async sign(
    subject: { sub: string; kind: SubjectKind; sid?: string; scope: string[]; plan?: string },
    now = new Date(),
  ): Promise<{ token: string; claims: AccessClaims }> {
    const key = currentKey(typeof this.keys === 'function' ? this.keys() : this.keys, now);
    const iat = Math.floor(now.getTime() / 1000);
    const claims: AccessClaims = {
      sub: subject.sub,
      kind: subject.kind,
      ...(subject.sid ? { sid: subject.sid } : {}),
      scope: subject.scope,
      ...(subject.plan ? { plan: subject.plan } : {}),
      jti: randomUUID(),
      iat,
      nbf: iat,
      exp: iat + this.settings.ttlSeconds,
    };
    const token = await new SignJWT({
      kind: claims.kind,
      scope: claims.scope.join(' '),
      ...(claims.sid ? { sid: claims.sid } : {}),
      ...(claims.plan ? { plan: claims.plan } : {}),
    })
      .setProtectedHeader({ alg: TOKEN_ALG, kid: key.kid, typ: ACCESS_TOKEN_TYP })
      .setSubject(claims.sub)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setJti(claims.jti)
      .setIssuedAt(claims.iat)
      .setNotBefore(claims.nbf)
      .setExpirationTime(claims.exp)
      .sign(await importPrivateKey(key));
    return { token, claims };
  }
}

export class TokenError extends Error {
  constructor(
    message: string,
    /** `unavailable`: no key set could be loaded yet, so no token can be checked (a 503, not a 401). */
    readonly code: 'invalid_token' | 'revoked' | 'unavailable',
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface VerifierOptions {
  issuer: string;
  audience: string;
  /** The current public keys: loaded on the first token, on a schedule, and for a kid not seen yet. */
  loadJwks: () => Promise<PublicJwks>;
  /**
   * How often the key set is loaded again whatever the tokens say, so that a key removed from the
   * set stops verifying without a restart (default 5 minutes). Runs between `start()` and `stop()`.
   */
  refreshIntervalMs?: number;
  /** Least time between two loads caused by tokens (unknown kids: an attacker can send many). */
  minReloadIntervalMs?: number;
  /** A load failed; the last good key set stays in use. */
  onLoadError?: (error: unknown) => void;
  now?: () => Date;
}

interface LoadedKeys {
  jwks: ReturnType<typeof createLocalJWKSet>;
  kids: Set<string>;
}

/** A set with no keys is refused like a failed load: it would make every token invalid at once. */
function compile(set: PublicJwks): LoadedKeys {
  if (!Array.isArray(set?.keys) || set.keys.length === 0) throw new Error('the key set holds no keys');
  if (!set.keys.every((k) => typeof k.kid === 'string')) throw new Error('a key in the set has no kid');
  return { jwks: createLocalJWKSet(set), kids: new Set(set.keys.map((k) => k.kid)) };
}

/**
 * Verifies access tokens as RFC 8725 asks: one pinned algorithm (ES256, so `none` and HS256
 * signed with the public key are refused), the `at+jwt` type, issuer, audience, exp and nbf with
 * no clock tolerance, and a kid that names a key we publish.
 */
export class TokenVerifier {
  private readonly keys: ScheduledValue<LoadedKeys>;
  private lastDemand = -Infinity;

  constructor(private readonly options: VerifierOptions) {
    this.keys = new ScheduledValue({
      load: async () => compile(await options.loadJwks()),
      intervalMs: options.refreshIntervalMs ?? 300_000,
      onError: (error) => options.onLoadError?.(error),
    });
  }

  /** Starts the scheduled reloads (the timer is unref'd); `stop()` ends them. */
  start(): void {
    this.keys.start();
  }

  stop(): void {
    this.keys.stop();
  }

  /**
   * For readiness: resolves once a key set is loaded (loading one now if none is), throws while
   * none can be. Tokens cannot be checked before that, so the app is not ready.
   */
  async ensureKeys(): Promise<void> {
    if (this.keys.current) return;
    await this.keys.load();
  }

  async verify(token: string): Promise<AccessClaims> {
    const kid = peekKid(token);
    const known = this.keys.current;
    if ((!known || (kid !== undefined && !known.kids.has(kid))) && Date.now() - this.lastDemand >= (this.options.minReloadIntervalMs ?? 5_000)) {
      this.lastDemand = Date.now();
      await this.keys.load().catch((error: unknown) => this.options.onLoadError?.(error));
    }
    const keys = this.keys.current;
    if (!keys) throw new TokenError('no key set could be loaded', 'unavailable');
    let payload: JWTPayload;
    try {
      const now = this.options.now?.();
      ({ payload } = await jwtVerify(token, keys.jwks, {
        algorithms: [TOKEN_ALG],
        typ: ACCESS_TOKEN_TYP,
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: 0,
        requiredClaims: ['sub', 'exp', 'nbf', 'iat', 'jti'],
        ...(now ? { currentDate: now } : {}),
      }));
    } catch (error) {
      throw new TokenError(describe(error), 'invalid_token');
    }
    const kind = payload.kind;
    if (kind !== 'user' && kind !== 'partner') throw new TokenError('token has no valid kind', 'invalid_token');
    if (kind === 'user' && typeof payload.sid !== 'string') throw new TokenError('user token without a session', 'invalid_token');
    return {
      sub: payload.sub!,
      kind,
      ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}),
      scope: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
      ...(typeof payload.plan === 'string' ? { plan: payload.plan } : {}),
      jti: payload.jti!,
      iat: payload.iat!,
      nbf: payload.nbf!,
      exp: payload.exp!,
    };
  }
}

function peekKid(token: string): string | undefined {
  const [header] = token.split('.');
  if (!header) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof parsed.kid === 'string' ? parsed.kid : undefined;
  } catch {
    return undefined;
  }
}

/** A short reason for logs; clients always get the same answer. */
function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} failed: ${error.reason}`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown signing key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof errors.JOSEError) return error.code;
  return 'malformed token';
}
