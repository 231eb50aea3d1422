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

  it('refuses neither, both, and an account URL over plain http', () => {
    expect(() => loadServiceConfig(base)).toThrow(ConfigError);
    expect(() => loadServiceConfig(base)).toThrow(/BLOB_ACCOUNT_URL is required/);
    expect(() => loadServiceConfig({ ...base, BLOB_ACCOUNT_URL: 'https://a.blob.core.windows.net', BLOB_CONNECTION_STRING: 'x' })).toThrow(/both set/);
    expect(() => loadServiceConfig({ ...base, BLOB_ACCOUNT_URL: 'http://a.blob.core.windows.net' })).toThrow(/BLOB_ACCOUNT_URL/);
  });
});
