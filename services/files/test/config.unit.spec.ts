import { ConfigError } from '@strata/service-kit';
import { describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../src/config.js';

const base = { PORT: '0', APP_ID: 'files', DAPR_HTTP_PORT: '3501' };

describe('how files reaches Blob Storage', () => {
  it('with a token for an account URL (AKS: workload identity, no key), or with a connection string (Azurite)', () => {
    expect(loadServiceConfig({ ...base, BLOB_ACCOUNT_URL: 'https://strataprodfiles.blob.core.windows.net/' }).blob).toEqual({
      kind: 'token',
      accountUrl: 'https://strataprodfiles.blob.core.windows.net/',
    });
    expect(loadServiceConfig({ ...base, BLOB_CONNECTION_STRING: 'UseDevelopmentStorage=true' }).blob).toEqual({ kind: 'connection-string', connectionString: 'UseDevelopmentStorage=true' });
  });

  it('reads the connection string from the secret store when neither is set (Azurite locally)', () => {
    expect(loadServiceConfig(base).blob).toEqual({ kind: 'connection-string', connectionString: undefined });
    // the production-like profile names the account URL and empties the connection string
    expect(loadServiceConfig({ ...base, BLOB_ACCOUNT_URL: 'https://127.0.0.1:1/acc', BLOB_CONNECTION_STRING: '' }).blob.kind).toBe('token');
  });

  it('refuses both, and an account URL over plain http', () => {
    expect(() => loadServiceConfig({ ...base, BLOB_ACCOUNT_URL: 'https://a.blob.core.windows.net', BLOB_CONNECTION_STRING: 'x' })).toThrow(ConfigError);
    expect(() => loadServiceConfig({ ...base, BLOB_ACCOUNT_URL: 'https://a.blob.core.windows.net', BLOB_CONNECTION_STRING: 'x' })).toThrow(/both set/);
    expect(() => loadServiceConfig({ ...base, BLOB_ACCOUNT_URL: 'http://a.blob.core.windows.net' })).toThrow(/BLOB_ACCOUNT_URL/);
  });
});

describe('downloads by redirect', () => {
  it('are on by default, with SAS URLs valid for 5 minutes, and can be turned off', () => {
    const config = loadServiceConfig(base);
    expect([config.DOWNLOAD_REDIRECT, config.DOWNLOAD_SAS_TTL_SECONDS, config.BLOB_PUBLIC_URL]).toEqual([true, 300, undefined]);
    expect(loadServiceConfig({ ...base, DOWNLOAD_REDIRECT: 'false', DOWNLOAD_SAS_TTL_SECONDS: '2' })).toMatchObject({ DOWNLOAD_REDIRECT: false, DOWNLOAD_SAS_TTL_SECONDS: 2 });
    expect(loadServiceConfig({ ...base, BLOB_PUBLIC_URL: 'https://strata.example.com/blob' }).BLOB_PUBLIC_URL).toBe('https://strata.example.com/blob');
  });

  it('refuses a SAS lifetime over 5 minutes, and a public blob URL that is not http(s)', () => {
    expect(() => loadServiceConfig({ ...base, DOWNLOAD_SAS_TTL_SECONDS: '301' })).toThrow(/DOWNLOAD_SAS_TTL_SECONDS/);
    expect(() => loadServiceConfig({ ...base, DOWNLOAD_SAS_TTL_SECONDS: '0' })).toThrow(/DOWNLOAD_SAS_TTL_SECONDS/);
    expect(() => loadServiceConfig({ ...base, BLOB_PUBLIC_URL: 'ftp://x' })).toThrow(/BLOB_PUBLIC_URL/);
  });
});
