import { describe, expect, it } from 'vitest';
import { Gate, HashingBusyError, PasswordHasher } from '../src/password-hasher.js';
import { OWASP_ARGON2ID, hashPassword, legacyScryptHash, needsRehash, parseStoredHash, verifyPassword } from '../src/passwords.js';

// small costs keep the unit tests fast; production uses OWASP_ARGON2ID
const fast = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const fastScrypt = { N: 2 ** 10, r: 8, p: 1, keyLength: 32 };

describe('passwords', () => {
  it('hashes with Argon2id in the PHC format, at the OWASP cost by default', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(parseStoredHash(stored)).toEqual({ algorithm: 'argon2id', params: OWASP_ARGON2ID });
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
  });

  it('still verifies the scrypt hashes older accounts hold', async () => {
    const stored = await legacyScryptHash('correct horse battery', fastScrypt);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(parseStoredHash(stored)).toMatchObject({ algorithm: 'scrypt', params: fastScrypt });
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same password', fast)).not.toBe(await hashPassword('same password', fast));
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    for (const stored of ['md5$abc', '', '$argon2id$v=19$m=abc', '$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', 'scrypt$1000$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA', 'scrypt$1024$8$1$x$y']) {
      expect(parseStoredHash(stored)).toBeUndefined();
      expect(await verifyPassword('x', stored)).toBe(false);
    }
  });

  it('treats equivalent Unicode spellings as the same password', async () => {
    const stored = await hashPassword('caf\u00e9 au lait!', fast);
    expect(await verifyPassword('cafe\u0301 au lait!', stored)).toBe(true);
  });

  it('asks for a rehash of anything but Argon2id at exactly the policy cost', async () => {
    expect(needsRehash(await hashPassword('pw', OWASP_ARGON2ID), OWASP_ARGON2ID)).toBe(false);
    expect(needsRehash(await hashPassword('pw', fast), fast)).toBe(false);
    expect(needsRehash(await hashPassword('pw', fast), OWASP_ARGON2ID)).toBe(true);
    expect(needsRehash(await hashPassword('pw', { ...OWASP_ARGON2ID, timeCost: 3 }), OWASP_ARGON2ID)).toBe(true);
    expect(needsRehash(await legacyScryptHash('pw', fastScrypt), OWASP_ARGON2ID)).toBe(true);
  });
});

describe('the hashing gate', () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('runs at most `concurrency` tasks, queues `queue` more, and refuses the rest at once', async () => {
    const gate = new Gate(2, 1);
    const release = deferred();
    let started = 0;
    const task = async () => {
      started++;
      await release.promise;
      return 'done';
    };
    const admitted = [gate.run(task), gate.run(task), gate.run(task)];
    await expect(gate.run(task)).rejects.toBeInstanceOf(HashingBusyError);
    await Promise.resolve();
    expect(started).toBe(2);
    release.resolve();
    expect(await Promise.all(admitted)).toEqual(['done', 'done', 'done']);
    expect(started).toBe(3);
    // every slot is free again
    expect(await Promise.all([gate.run(async () => 1), gate.run(async () => 2), gate.run(async () => 3)])).toEqual([1, 2, 3]);
  });

  it('gives the slot back when a task fails', async () => {
    const gate = new Gate(1, 0);
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 'next')).toBe('next');
  });

  it('answers 503 with a Retry-After when busy', () => {
    const error = new HashingBusyError();
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.toProblem()).toMatchObject({ status: 503, type: 'https://strata.dev/problems/password-hashing-busy' });
  });
});

describe('the password hasher', () => {
  it('fails an unknown account after the same work as a known one (a decoy hash of the same cost)', async () => {
    const hasher = await PasswordHasher.create(fast, { concurrency: 1, queue: 0 });
    expect(parseStoredHash(hasher.decoy)).toEqual({ algorithm: 'argon2id', params: fast });
    const stored = await hasher.hash('correct horse battery');
    expect(await hasher.verify('correct horse battery', stored)).toBe(true);
    expect(await hasher.verify('correct horse battery', undefined)).toBe(false);
    expect(hasher.needsRehash(stored)).toBe(false);
    expect(hasher.needsRehash(await legacyScryptHash('correct horse battery', fastScrypt))).toBe(true);
  });
});
