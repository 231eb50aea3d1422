import { type JWK, exportJWK, generateKeyPair, importJWK } from 'jose';

export const TOKEN_ALG = 'ES256';

/** One signing key as kept in the secret store (`token-signing-keys`). */
export interface StoredSigningKey {
  kid: string;
  /** Private JWK (P-256). */
  privateJwk: JWK;
  /**
   * When the key starts signing (ISO 8601). It is published, and so verifies, from the moment it is
   * in the set: a rotation dates a new key a few refresh intervals ahead, so that every verifier
   * knows it before the first token it signs (deploy/README.md, "Data tier: recovery and rotation").
   */
  createdAt: string;
}

export interface SigningKeySet {
  keys: StoredSigningKey[];
}

export interface PublicJwks {
  keys: (JWK & { kid: string; alg: string; use: 'sig' })[];
}

/** Makes a new P-256 key with a kid that sorts by creation time. */
export async function newSigningKey(now = new Date()): Promise<StoredSigningKey> {
  const { privateKey } = await generateKeyPair(TOKEN_ALG, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = `${now.toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${crypto.randomUUID().slice(0, 8)}`;
  return { kid, privateJwk: { ...privateJwk, kid, alg: TOKEN_ALG }, createdAt: now.toISOString() };
}

/**
 * Parses the key set from the secret store. The newest key already due signs; every key in the set
 * verifies, so a rotation adds a key and removes the old one only after its last token expired.
 */
export function parseKeySet(raw: string): SigningKeySet {
  const parsed = JSON.parse(raw) as SigningKeySet;
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) throw new Error('token-signing-keys holds no keys');
  for (const key of parsed.keys) {
    if (!key.kid || key.privateJwk?.kty !== 'EC' || key.privateJwk.crv !== 'P-256' || !key.privateJwk.d) {
      throw new Error(`token-signing-keys: key ${key.kid ?? '(no kid)'} is not a private P-256 JWK`);
    }
  }
  return { keys: [...parsed.keys].sort((a, b) => a.createdAt.localeCompare(b.createdAt)) };
}

/** The key that signs at `now`: the newest whose createdAt has come (the oldest if none has yet). */
export function currentKey(set: SigningKeySet, now = new Date()): StoredSigningKey {
  const key = set.keys.filter((k) => Date.parse(k.createdAt) <= now.getTime()).at(-1) ?? set.keys[0];
  if (!key) throw new Error('no signing key');
  return key;
}

/** The public half of every key, as served at /.well-known/jwks.json. */
export function publicJwks(set: SigningKeySet): PublicJwks {
  return {
    keys: set.keys.map((k) => {
      const { d: _d, ...pub } = k.privateJwk;
      return { ...pub, kid: k.kid, alg: TOKEN_ALG, use: 'sig' as const };
    }),
  };
}

export async function importPrivateKey(key: StoredSigningKey) {
  return importJWK(key.privateJwk, TOKEN_ALG);
}
