import { describe, expect, it } from 'vitest';
import { PathError, canonicalPath } from '../src/paths.js';
import { exposureOf, serves } from '../src/listeners.js';

describe('canonicalPath', () => {
  it.each([
    ['/', '/'],
    ['/api/v1/files', '/api/v1/files'],
    ['/api/v1/files/', '/api/v1/files/'],
    ['//api///v1//files', '/api/v1/files'],
    ['/api/./v1/files', '/api/v1/files'],
    ['/api/v1/x/../files', '/api/v1/files'],
    ['/api/v1/%2e%2e/v1/files', '/api/v1/files'],
    ['/api/v1/%2E/files', '/api/v1/files'],
    ['/%61pi/v1/files', '/api/v1/files'],
    ['/api/v1/files/.', '/api/v1/files/'],
    ['/a/..', '/'],
    ['/a/b/..', '/a/'],
    ['/files/a%20b', '/files/a%20b'],
    ['/files/a b', '/files/a%20b'],
    ['/files/%C3%A9t%C3%A9', '/files/%C3%A9t%C3%A9'],
    ['/files/été', '/files/%C3%A9t%C3%A9'],
    ["/x/a:b@c!$&'()*+,;=", "/x/a:b@c!$&'()*+,;="],
    ['/DAPR/Subscribe', '/DAPR/Subscribe'],
  ])('%s → %s', (raw, canonical) => {
    expect(canonicalPath(raw)).toBe(canonical);
  });

  it('is idempotent', () => {
    for (const raw of ['//a/./b/../c/', '/%61/%20', '/été/x', '/a;b/c']) expect(canonicalPath(canonicalPath(raw))).toBe(canonicalPath(raw));
  });

  it.each([
    ['/api/v1/files/%00', /control/],
    ['/api/v1/files/%1f', /control/],
    ['/api/v1/files/%7F', /control/],
    ['/api/v1/files/a\\b', /backslash/],
    ['/api/v1/files/a%5cb', /backslash/],
    ['/api/v1/files/a%2fb', /encodes/],
    ['/api/v1/files/%25', /encodes/],
    ['/api/v1/files/%3F', /encodes/],
    ['/api/v1/files/%23', /encodes/],
    ['/api/v1/files/%ZZ', /percent/],
    ['/api/v1/files/%ff', /percent/],
    ['/api/v1/files/%', /percent/],
    ['/..', /above the root/],
    ['/a/../../b', /above the root/],
    ['/%2e%2e/v1.0/metadata', /above the root/],
    ['relative', /start with/],
  ])('refuses %s', (raw, reason) => {
    expect(() => canonicalPath(raw)).toThrow(PathError);
    expect(() => canonicalPath(raw)).toThrow(reason);
  });
});

describe('listeners', () => {
  it('derive a route’s exposure from its pattern alone', () => {
    expect(exposureOf('/dapr/subscribe')).toBe('channel');
    expect(exposureOf('/dapr/events/live/files.events')).toBe('channel');
    expect(exposureOf('/health/live')).toBe('probe');
    expect(exposureOf('/health/ready')).toBe('probe');
    expect(exposureOf('/health/upstreams')).toBe('ops');
    expect(exposureOf('/metrics')).toBe('ops');
    expect(exposureOf('/api/v1/*')).toBe('api');
    expect(exposureOf('/*')).toBe('api');
    expect(exposureOf('/daprx')).toBe('api');
  });

  it('serve the API on the main listener only, and the channel where the sidecar talks', () => {
    // the gateway: the public main listener serves the API and nothing else
    expect(['api', 'channel', 'probe', 'ops'].filter((e) => serves('main', e as never, 'internal'))).toEqual(['api']);
    expect(['api', 'channel', 'probe', 'ops'].filter((e) => serves('internal', e as never, 'internal'))).toEqual(['channel', 'probe', 'ops']);
    // any other app: its main listener is the app channel
    expect(['api', 'channel', 'probe', 'ops'].filter((e) => serves('main', e as never, 'main'))).toEqual(['api', 'channel', 'probe']);
    expect(['api', 'channel', 'probe', 'ops'].filter((e) => serves('internal', e as never, 'main'))).toEqual(['probe', 'ops']);
  });
});
