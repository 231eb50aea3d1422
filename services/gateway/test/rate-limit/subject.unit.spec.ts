import { describe, expect, it } from 'vitest';
import { accountOf } from '../../src/plugins/rate-limit/subject.js';

describe('the account a request names, for rate limits', () => {
  it('finds the account a request names: e-mail, client id, or refresh session', () => {
    const json = { 'content-type': 'application/json' };
    expect(accountOf('auth.login', json, Buffer.from('{"email":" Alice@x.test ","password":"p"}'))).toBe('Alice@x.test');
    expect(accountOf('auth.register', json, Buffer.from('not json'))).toBeUndefined();
    expect(accountOf('api', json, Buffer.from('{"email":"a@x.test"}'))).toBeUndefined();
    const basic = `Basic ${Buffer.from('acme-client:secret').toString('base64')}`;
    expect(accountOf('auth.token', { authorization: basic }, undefined)).toBe('acme-client');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect(accountOf('auth.token', form, Buffer.from('grant_type=client_credentials&client_id=acme&client_secret=s'))).toBe('acme');
    expect(accountOf('auth.token', { cookie: 'a=b; strata_refresh=sessionid0123456789.secretsecretsecretsecret' }, undefined)).toBe(
      'sessionid0123456789',
    );
  });

  it('names nobody for what it cannot read: a body that is not JSON, a blank e-mail, Basic credentials that do not decode', () => {
    const json = { 'content-type': 'application/json' };
    expect(accountOf('auth.login', json, Buffer.from('{"email":"   "}'))).toBeUndefined();
    expect(accountOf('auth.login', json, Buffer.from('{"email":42}'))).toBeUndefined();
    expect(accountOf('auth.login', { 'content-type': 'text/plain' }, Buffer.from('{"email":"a@x.test"}'))).toBeUndefined();
    const undecodable = `Basic ${Buffer.from('%zz:secret').toString('base64')}`;
    expect(accountOf('auth.token', { authorization: undecodable }, undefined)).toBeUndefined();
    // a Basic header that is not base64 is not credentials: the body names the client instead
    expect(accountOf('auth.token', { authorization: 'Basic !!', 'content-type': 'application/json' }, Buffer.from('{"client_id":"acme"}'))).toBe('acme');
    expect(accountOf('auth.login', json, Buffer.from(JSON.stringify({ email: 'x'.repeat(400) })))).toHaveLength(320);
  });
});
