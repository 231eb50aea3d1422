import { SignJWT, UnsecuredJWT, base64url } from 'jose';
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newSigningKey, publicJwks, type SigningKeySet } from '../src/keys.js';
import { TokenError, TokenSigner, TokenVerifier } from '../src/tokens.js';

const settings = { issuer: 'https://strata.test', audience: 'strata-api', ttlSeconds: 900 };
const now = new Date('2026-11-25T12:00:00Z');

async function setup(keys?: SigningKeySet) {
  const set = keys ?? { keys: [await newSigningKey(now)] };
  let jwks = publicJwks(set);
  let loads = 0;
  const verifier = (at: Date = now) =>
    new TokenVerifier({
      issuer: settings.issuer,
      audience: settings.audience,
      loadJwks: async () => {
        loads++;
        return jwks;
      },
      minReloadIntervalMs: 0,
      now: () => at,
    });
  return {
    set,
    signer: new TokenSigner(set, settings),
    verifier,
    setJwks: (s: SigningKeySet) => (jwks = publicJwks(s)),
    loads: () => loads,
  };
}

const user = { sub: 'user-1', kind: 'user' as const, sid: 'session-1', scope: ['files:read', 'files:write'] };

const kidOf = (token: string) => (JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[0]!))) as { kid: string }).kid;

async function refused(promise: Promise<unknown>) {
  await expect(promise).rejects.toBeInstanceOf(TokenError);
}

describe('access tokens', () => {
  it('round-trips the claims, with kid, typ, iss, aud, exp and nbf set', async () => {
    const { signer, verifier, set } = await setup();
    const { token, claims } = await signer.sign(user, now);
    const header = JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[0]!))) as Record<string, string>;
    expect(header).toEqual({ alg: 'ES256', kid: set.keys[0]!.kid, typ: 'at+jwt' });
    expect(claims.exp - claims.iat).toBe(900);
    expect(await verifier().verify(token)).toEqual(claims);
  });

  it('refuses alg "none"', async () => {
    const { verifier } = await setup();
    const unsecured = new UnsecuredJWT({ kind: 'user', sid: 's' })
      .setSubject('user-1')
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(new Date(now.getTime() + 60_000))
      .setJti('x')
      .encode();
    await refused(verifier().verify(unsecured));
  });

  it('refuses an HS256 token signed with the public key as the secret', async () => {
    const { verifier, set } = await setup();
    const pub = publicJwks(set).keys[0]!;
    const header = base64url.encode(JSON.stringify({ alg: 'HS256', kid: pub.kid, typ: 'at+jwt' }));
    const payload = base64url.encode(
      JSON.stringify({ sub: 'user-1', kind: 'user', sid: 's', iss: settings.issuer, aud: settings.audience, iat: 1, nbf: 1, exp: 4_000_000_000, jti: 'x' }),
    );
    const signature = createHmac('sha256', JSON.stringify(pub)).update(`${header}.${payload}`).digest('base64url');
    await refused(verifier().verify(`${header}.${payload}.${signature}`));
  });

  it('refuses a wrong audience, a wrong issuer and a wrong typ', async () => {
    const { verifier, set } = await setup();
    const wrongAud = await new TokenSigner(set, { ...settings, audience: 'someone-else' }).sign(user, now);
    const wrongIss = await new TokenSigner(set, { ...settings, issuer: 'https://evil.test' }).sign(user, now);
    await refused(verifier().verify(wrongAud.token));
    await refused(verifier().verify(wrongIss.token));
    const { importPrivateKey } = await import('../src/keys.js');
    const plainJwt = await new SignJWT({ kind: 'user', sid: 's' })
      .setProtectedHeader({ alg: 'ES256', kid: set.keys[0]!.kid, typ: 'JWT' })
      .setSubject('user-1')
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(new Date(now.getTime() + 60_000))
      .setJti('x')
      .sign(await importPrivateKey(set.keys[0]!));
    await refused(verifier().verify(plainJwt));
  });

  it('refuses a token expired by one second, and one not yet valid', async () => {
    const { signer, verifier } = await setup();
    const { token } = await signer.sign(user, now);
    await expect(verifier(new Date(now.getTime() + 899_000)).verify(token)).resolves.toMatchObject({ sub: 'user-1' });
    await refused(verifier(new Date(now.getTime() + 901_000)).verify(token));
    await refused(verifier(new Date(now.getTime() - 1_000)).verify(token));
  });

  it('refuses an unknown kid and a tampered payload', async () => {
    const { verifier } = await setup();
    const other = await setup();
    const { token } = await other.signer.sign(user, now);
    await refused(verifier().verify(token));
    const own = await setup();
    const signed = (await own.signer.sign(user, now)).token.split('.');
    const tampered = base64url.encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(base64url.decode(signed[1]!))), sub: 'admin' }));
    await refused(own.verifier().verify(`${signed[0]}.${tampered}.${signed[2]}`));
    await refused(own.verifier().verify('not.a.token'));
  });

  it('rotates keys: a new key signs, the old one verifies until it is removed', async () => {
    const oldKey = await newSigningKey(new Date(now.getTime() - 1_000));
    const { verifier, setJwks } = await setup({ keys: [oldKey] });
    const v = verifier();
    const before = await new TokenSigner({ keys: [oldKey] }, settings).sign(user, now);
    await v.verify(before.token);

    const newKey = await newSigningKey(now);
    const rotated = { keys: [oldKey, newKey] };
    setJwks(rotated);
    const after = await new TokenSigner(rotated, settings).sign(user, now);
    expect(kidOf(after.token)).toBe(newKey.kid);
    expect(after.token).not.toBe(before.token);
    // the verifier has not seen the new kid yet: it reloads the key set once and accepts
    await expect(v.verify(after.token)).resolves.toMatchObject({ sub: 'user-1' });
    await expect(v.verify(before.token)).resolves.toMatchObject({ sub: 'user-1' });

    setJwks({ keys: [newKey] });
    await refused(verifier().verify(before.token));
  });

  it('a key dated ahead is published at once but signs only from its date (verifiers learn it first)', async () => {
    const oldKey = await newSigningKey(now);
    const ahead = await newSigningKey(new Date(now.getTime() + 10 * 60_000));
    const set = { keys: [oldKey, ahead] };
    const signer = new TokenSigner(set, settings);
    expect(publicJwks(set).keys.map((k) => k.kid)).toEqual([oldKey.kid, ahead.kid]);
    expect(kidOf((await signer.sign(user, new Date(now.getTime() + 9 * 60_000))).token)).toBe(oldKey.kid);
    expect(kidOf((await signer.sign(user, new Date(now.getTime() + 10 * 60_000))).token)).toBe(ahead.kid);
    // a set whose every key is dated ahead (a clock behind the operator's) still signs, with the oldest
    expect(kidOf((await new TokenSigner({ keys: [ahead] }, settings).sign(user, now)).token)).toBe(ahead.kid);
  });

  it('requires a session on user tokens', async () => {
    const { signer, verifier } = await setup();
    const { token } = await signer.sign({ sub: 'user-1', kind: 'user', scope: [] }, now);
    await refused(verifier().verify(token));
  });
});

describe('key set refresh', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A verifier on a fake clock whose loader serves whatever set the test put there last. */
  async function scheduled(keys: SigningKeySet) {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now });
    let serve: () => Promise<SigningKeySet> = async () => keys;
    const errors: unknown[] = [];
    let loads = 0;
    const verifier = new TokenVerifier({
      issuer: settings.issuer,
      audience: settings.audience,
      loadJwks: async () => {
        loads++;
        return publicJwks(await serve());
      },
      refreshIntervalMs: 60_000,
      onLoadError: (error) => errors.push(error),
      now: () => now,
    });
    verifier.start();
    return {
      verifier,
      errors,
      loads: () => loads,
      serve: (next: () => Promise<SigningKeySet>) => (serve = next),
    };
  }

  it('stops verifying a key removed from the set after the next scheduled refresh', async () => {
    const oldKey = await newSigningKey(new Date(now.getTime() - 1_000));
    const newKey = await newSigningKey(now);
    const { verifier, serve, loads } = await scheduled({ keys: [oldKey, newKey] });
    const byOld = await new TokenSigner({ keys: [oldKey] }, settings).sign(user, now);
    const byNew = await new TokenSigner({ keys: [oldKey, newKey] }, settings).sign(user, now);
    await expect(verifier.verify(byOld.token)).resolves.toMatchObject({ sub: 'user-1' });
    expect(loads()).toBe(1);

    serve(async () => ({ keys: [newKey] }));
    // a kid it knows does not make it load: until the refresh, the old key still verifies
    await expect(verifier.verify(byOld.token)).resolves.toMatchObject({ sub: 'user-1' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(loads()).toBe(2);
    await refused(verifier.verify(byOld.token));
    await expect(verifier.verify(byNew.token)).resolves.toMatchObject({ sub: 'user-1' });

    // stopped: no more scheduled loads
    verifier.stop();
    const before = loads();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(loads()).toBe(before);
  });

  it('keeps the last good set when a refresh fails or brings an empty set, and reports it', async () => {
    const key = await newSigningKey(now);
    const { verifier, serve, errors, loads } = await scheduled({ keys: [key] });
    const { token } = await new TokenSigner({ keys: [key] }, settings).sign(user, now);
    await verifier.verify(token);

    serve(async () => Promise.reject(new Error('sessions is down')));
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'user-1' });
    serve(async () => ({ keys: [] }));
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'user-1' });
    expect(loads()).toBe(3);
    expect(errors.map((e) => (e as Error).message)).toEqual(['sessions is down', 'the key set holds no keys']);

    // and the next good load is taken
    const other = await newSigningKey(new Date(now.getTime() + 1_000));
    serve(async () => ({ keys: [other] }));
    await vi.advanceTimersByTimeAsync(60_000);
    await refused(verifier.verify(token));
    verifier.stop();
  });

  it('answers "unavailable" (not "invalid") while no set could be loaded, and tries again at most every few seconds', async () => {
    const key = await newSigningKey(now);
    const { verifier, serve, loads } = await scheduled({ keys: [key] });
    serve(async () => Promise.reject(new Error('sessions is not up yet')));
    const { token } = await new TokenSigner({ keys: [key] }, settings).sign(user, now);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'unavailable' });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'unavailable' });
    expect(loads()).toBe(1);
    serve(async () => ({ keys: [key] }));
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'user-1' });
    expect(loads()).toBe(2);
    verifier.stop();
  });
});
