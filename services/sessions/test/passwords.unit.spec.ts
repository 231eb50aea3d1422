import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../src/passwords.js';

// small parameters keep the unit test fast; production uses DEFAULT_SCRYPT
const fast = { N: 2 ** 10, r: 8, p: 1, keyLength: 32 };

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery', fast);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same password', fast)).not.toBe(await hashPassword('same password', fast));
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    expect(await verifyPassword('x', 'md5$abc')).toBe(false);
  });

  it('treats equivalent Unicode spellings as the same password', async () => {
    const stored = await hashPassword('caf\u00e9 au lait!', fast);
    expect(await verifyPassword('cafe\u0301 au lait!', stored)).toBe(true);
  });
});
