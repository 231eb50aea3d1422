import { describe, expect, it } from 'vitest';
import { loggableUrl } from '../src/logging.js';

describe('loggableUrl', () => {
  it('keeps a route and drops the credential of a link followed without a token', () => {
    expect(loggableUrl('/api/v1/zip/links/3f0c1c5e-0000-4000-8000-000000000001')).toBe('/api/v1/zip/links/[redacted]');
    expect(loggableUrl('/api/v1/public/links/AbC_dEf-123/content')).toBe('/api/v1/public/links/[redacted]/content');
    expect(loggableUrl('/API/V1/Public/Links/tok%2Fen/unlock?x=1')).toBe('/API/V1/Public/Links/[redacted]/unlock?x=1');
    // the UI's page of a share link: the token is the whole credential
    expect(loggableUrl('/l/AbC_dEf-123')).toBe('/l/[redacted]');
    expect(loggableUrl('/L/AbC_dEf-123?x=1')).toBe('/L/[redacted]?x=1');
    expect(loggableUrl('/files/l/not-a-link')).toBe('/files/l/not-a-link');
  });

  it('replaces credentials in the query and leaves other parameters', () => {
    expect(loggableUrl('/api/v1/events?access_token=abc&topic=files')).toBe('/api/v1/events?access_token=%5Bredacted%5D&topic=files');
    expect(loggableUrl('/blob?sv=2024&sig=xyz&se=later')).toBe('/blob?sv=2024&sig=%5Bredacted%5D&se=later');
  });

  it('leaves URLs without credentials as they are', () => {
    for (const url of ['/api/v1/files', '/api/v1/files?folder=abc&cursor=x', '/api/v1/zip/links', '/health/ready']) expect(loggableUrl(url)).toBe(url);
  });
});
