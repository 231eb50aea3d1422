import { BlobServiceClient, StorageSharedKeyCredential, type UserDelegationKey } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { DelegationKeyCache, SAS_VERSION, accountKeySigner, blobUrl, userDelegationSigner } from '../src/blob/sas.js';
import { contentDisposition } from '../src/routes/content.js';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const BLOB = 'owner-1/file-2/version-3';
// a key made up for this test (any base64 signs)
const credential = new StorageSharedKeyCredential('account1', Buffer.from('not a real key, only for signing in a test').toString('base64'));
const headers = { contentDisposition: contentDisposition('Résumé "final".html'), contentType: 'application/octet-stream' };

function delegationKey(startsOn: Date, expiresOn: Date, value = 'a2V5'): UserDelegationKey {
  return { signedObjectId: 'oid', signedTenantId: 'tid', signedStartsOn: startsOn, signedExpiresOn: expiresOn, signedService: 'b', signedVersion: '2025-11-05', value };
}

describe('download SAS URLs', () => {
  it('are read-only, for that one blob, expire after the TTL and force the answer\'s headers', async () => {
    const signer = accountKeySigner(credential, { container: 'strata-files', publicUrl: 'http://127.0.0.1:19000/account1', ttlSeconds: 120 });
    const url = new URL(await signer.url(BLOB, headers, NOW));
    expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:19000/account1/strata-files/owner-1/file-2/version-3');
    const q = url.searchParams;
    expect(q.get('sp')).toBe('r');
    expect(q.get('sr')).toBe('b');
    expect(q.get('sv')).toBe(SAS_VERSION);
    expect(q.get('st')).toBeNull();
    expect(new Date(q.get('se')!).getTime() - NOW.getTime()).toBe(120_000);
    expect(q.get('spr')).toBe('https,http');
    expect(q.get('rscd')).toBe(headers.contentDisposition);
    expect(q.get('rscd')).toMatch(/^attachment; filename="R_sum_ _final_.html"; filename\*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.html$/);
    expect(q.get('rsct')).toBe('application/octet-stream');
    expect(q.get('rscc')).toBe('private, no-store');
    expect(q.get('sig')).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('are https-only when clients reach Blob over https, and keep the public base path (the Application Gateway\'s /blob)', async () => {
    const signer = accountKeySigner(credential, { container: 'strata-files', publicUrl: 'https://strata.example.com/blob/', ttlSeconds: 300 });
    const url = new URL(await signer.url('a b/c?d', headers, NOW));
    expect(url.pathname).toBe('/blob/strata-files/a%20b/c%3Fd');
    expect(url.searchParams.get('spr')).toBe('https');
    expect(blobUrl('https://h/blob', 'c', 'x/y')).toBe('https://h/blob/c/x/y');
  });

  it('signed with a user delegation key name it (skoid, sktid, ske) and never outlive it', async () => {
    let calls = 0;
    const service = new BlobServiceClient('https://strataprodfiles.blob.core.windows.net');
    Object.assign(service, {
      getUserDelegationKey: async (startsOn: Date, expiresOn: Date) => {
        calls++;
        return delegationKey(startsOn, expiresOn);
      },
    });
    const signer = userDelegationSigner(service, { container: 'strata-files', publicUrl: 'https://strata.example.com/blob', ttlSeconds: 300 });
    const url = new URL(await signer.url(BLOB, headers, NOW));
    const q = url.searchParams;
    expect(signer.kind).toBe('user-delegation');
    expect([q.get('skoid'), q.get('sktid'), q.get('sp'), q.get('sr'), q.get('sv')]).toEqual(['oid', 'tid', 'r', 'b', SAS_VERSION]);
    expect(new Date(q.get('se')!).getTime()).toBeLessThanOrEqual(new Date(q.get('ske')!).getTime());
    await signer.url(BLOB, headers, new Date(NOW.getTime() + 1000));
    expect(calls).toBe(1);
  });
});

describe('the user delegation key cache', () => {
  const options = { keyLifetimeMs: 3_600_000, minRemainingMs: 360_000, skewMs: 300_000 };

  it('asks once for many downloads, and again only when too little of the key is left for a SAS', async () => {
    const asked: [Date, Date][] = [];
    const cache = new DelegationKeyCache(async (startsOn, expiresOn) => {
      asked.push([startsOn, expiresOn]);
      return delegationKey(startsOn, expiresOn);
    }, options);
    const first = await cache.get(NOW);
    expect(asked[0]).toEqual([new Date(NOW.getTime() - 300_000), new Date(NOW.getTime() + 3_600_000)]);
    // 53 minutes later 7 minutes are left: enough for a 5-minute SAS and the margin
    expect(await cache.get(new Date(NOW.getTime() + 53 * 60_000))).toBe(first);
    expect(cache.fetched).toBe(1);
    // 55 minutes later only 5 are left: a new key
    const second = await cache.get(new Date(NOW.getTime() + 55 * 60_000));
    expect(second).not.toBe(first);
    expect(cache.fetched).toBe(2);
  });

  it('shares one request between concurrent callers and keeps no failure', async () => {
    let fail = true;
    let release: () => void = () => undefined;
    const cache = new DelegationKeyCache(async (startsOn, expiresOn) => {
      await new Promise<void>((resolve) => (release = resolve));
      if (fail) throw new Error('AuthorizationPermissionMismatch');
      return delegationKey(startsOn, expiresOn);
    }, options);
    const both = Promise.allSettled([cache.get(NOW), cache.get(NOW)]);
    await new Promise((r) => setImmediate(r));
    release();
    expect((await both).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(cache.fetched).toBe(1);
    fail = false;
    const next = cache.get(NOW);
    await new Promise((r) => setImmediate(r));
    release();
    expect((await next).signedObjectId).toBe('oid');
    expect(cache.fetched).toBe(2);
  });
});
