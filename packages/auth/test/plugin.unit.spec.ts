import { describe, expect, it } from 'vitest';
import { bearerToken, isBearer } from '../src/plugin.js';

describe('the Authorization header', () => {
  it('names the Bearer scheme in any case (RFC 9110 11.1)', () => {
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('BEARER  a.b.c')).toBe('a.b.c');
    expect(isBearer('bearer x')).toBe(true);
    expect(isBearer('Bearer')).toBe(true);
  });

  it('holds no token when the scheme is another, the token is missing, or it holds what a JWT cannot', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic YTpi', 'Token a.b.c', 'Bearera.b.c', 'Bearer a b', 'Bearer a.b.c\u0000', 'Bearer <script>']) {
      expect(bearerToken(header), String(header)).toBeUndefined();
    }
    expect(isBearer('Basic YTpi')).toBe(false);
    expect(isBearer('Bearerx')).toBe(false);
  });
});
