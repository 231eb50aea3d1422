import { type Algorithm, hash as argon2, verify as argon2Verify } from '@node-rs/argon2';
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes name their algorithm and parameters, so the cost can be raised later without
 * breaking stored hashes. New hashes are Argon2id in the PHC string format
 * (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`); older accounts may still hold scrypt hashes
 * (`scrypt$N$r$p$salt$hash`, base64url), which verify and are replaced at the next sign-in.
 */
export interface Argon2Params {
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet: Argon2id with 19 MiB, 2 passes, 1 lane. */
export const OWASP_ARGON2ID: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
export const MIN_PASSWORD_LENGTH = 10;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keyLength: number;
}

export type StoredHash =
  | { algorithm: 'argon2id'; params: Argon2Params }
  | { algorithm: 'scrypt'; params: ScryptParams; salt: Buffer; key: Buffer };

const ARGON2ID = 2 satisfies Algorithm;
const PHC_ARGON2ID = /^\$argon2id\$v=19\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;
const SCRYPT = /^scrypt\$(\d{1,10})\$(\d{1,3})\$(\d{1,3})\$([\w-]{16,})\$([\w-]{16,})$/;

/** What a stored hash says about itself; undefined when it is neither format. */
export function parseStoredHash(stored: string): StoredHash | undefined {
  const argon = PHC_ARGON2ID.exec(stored);
  if (argon) return { algorithm: 'argon2id', params: { memoryCost: Number(argon[1]), timeCost: Number(argon[2]), parallelism: Number(argon[3]) } };
  const scrypt = SCRYPT.exec(stored);
  if (scrypt) {
    const N = Number(scrypt[1]);
    // a power of two above 1, as scrypt requires; anything else is not a hash we wrote
    if (N < 2 || (N & (N - 1)) !== 0) return undefined;
    const key = Buffer.from(scrypt[5]!, 'base64url');
    return { algorithm: 'scrypt', params: { N, r: Number(scrypt[2]), p: Number(scrypt[3]), keyLength: key.length }, salt: Buffer.from(scrypt[4]!, 'base64url'), key };
  }
  return undefined;
}

/** True when the hash is not Argon2id at exactly the policy's cost: it is replaced at the next sign-in. */
export function needsRehash(stored: string, policy: Argon2Params): boolean {
  const parsed = parseStoredHash(stored);
  if (parsed?.algorithm !== 'argon2id') return true;
  const { memoryCost, timeCost, parallelism } = parsed.params;
  return memoryCost !== policy.memoryCost || timeCost !== policy.timeCost || parallelism !== policy.parallelism;
}

// equivalent Unicode spellings (é as one code point or two) are the same password
const bytesOf = (password: string) => Buffer.from(password.normalize('NFKC'), 'utf8');

export function hashPassword(password: string, params: Argon2Params = OWASP_ARGON2ID): Promise<string> {
  return argon2(bytesOf(password), { algorithm: ARGON2ID, ...params });
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (!parsed) return false;
  if (parsed.algorithm === 'argon2id') return argon2Verify(stored, bytesOf(password));
  const key = await scrypt(bytesOf(password), parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

function scrypt(password: Buffer, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, params.keyLength, { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * 2 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/**
 * An scrypt hash as accounts registered before Argon2id hold them. Nothing new is hashed this way;
 * tests use it to make such an account.
 */
export async function legacyScryptHash(password: string, params: ScryptParams = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 }): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(bytesOf(password), salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}
