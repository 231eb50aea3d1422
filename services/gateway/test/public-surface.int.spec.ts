import type {} from '@strata/testing';
import { AppIds } from '@strata/contracts';
import { Client, rawRequest } from '@strata/testing/client';
import { describe, expect, inject, it } from 'vitest';

// What the public entry must never serve, tried from outside as an attacker would: the sidecar's
// own API, the apps' /dapr channel, metrics and operator views, in every spelling of the path.
// A raw HTTP request is sent as written (fetch would clean the path up first).
const stack = inject('stack');
const gateway = new URL(stack.gatewayUrl);

const raw = (method: string, path: string, headers: Record<string, string> = {}, body?: string) => rawRequest(stack.gatewayUrl, method, path, headers, body);

/** The sidecar's API, Dapr's alpha API, the apps' channel, metrics and operator views. */
const FORBIDDEN = [
  '/v1.0/metadata',
  '/v1.0/secrets/secretstore/bulk',
  '/v1.0/secrets/secretstore/token-signing-keys',
  '/v1.0/state/statestore/x',
  '/v1.0/healthz',
  '/v1.0/invoke/sessions/method/health/ready',
  '/v1.0/invoke/files/method/dapr/subscribe',
  '/v1.0-alpha1/metadata',
  '/v1.0-beta1/workflows/dapr/x',
  '/dapr/subscribe',
  '/dapr/config',
  '/dapr/events/live/files.events',
  '/metrics',
  '/health/live',
  '/health/ready',
  '/health/upstreams',
  '/health/instances',
  // insights' operator view, its Dapr channel and the conversation API through the sidecar
  '/health/index',
  '/dapr/events/files',
  '/v1.0-alpha2/conversation/llm/converse',
  '/v1.0/invoke/insights/method/health/index',
  '/v1.0/invoke/files/method/internal/v1/files/00000000-0000-4000-8000-000000000000/versions/1/content',
];

/** Ways of writing the same path that some layer might read differently. */
function spellings(path: string): string[] {
  const [first = '', ...rest] = path.slice(1).split('/');
  const tail = rest.length > 0 ? `/${rest.join('/')}` : '';
  const encodedFirst = `%${first.charCodeAt(0).toString(16)}${first.slice(1)}`;
  return [
    path,
    path.toUpperCase(),
    `/${first.charAt(0).toUpperCase()}${first.slice(1)}${tail}`,
    `/${encodedFirst}${tail}`,
    `/${encodedFirst.toUpperCase()}${tail}`,
    `//${first}${tail}`,
    `/./${first}${tail}`,
    `/${first}/.${tail}`,
    `/${first}//${tail.slice(1)}`,
    `/x/../${first}${tail}`,
    `/api/v1/../../${first}${tail}`,
    `/api/v1/%2e%2e/%2e%2e/${first}${tail}`,
    `/api/v1/%2E%2E/%2E%2E/${first}${tail}`,
    `/api/v1/files/../../../${first}${tail}`,
    `/api/docs/assets/../../../${first}${tail}`,
    `/_app/../${first}${tail}`,
    `${path}/`,
    `${path}?x=1`,
    `${path}%20`,
    `/${first}%2f${rest.join('%2f')}`,
    `/${first}%2F${rest.join('%2F')}`,
    `/${first}\\${rest.join('\\')}`,
    `/${first}%5c${rest.join('%5c')}`,
    `/${first};x${tail}`,
    `/%2e/${first}${tail}`,
    `/%252e%252e/${first}${tail}`,
  ];
}

describe('the public entry serves the API, the UI and its docs, and nothing else', () => {
  it('never answers the sidecar’s API, /dapr, /metrics or an operator view, however the path is spelt', async () => {
    const leaks: string[] = [];
    for (const path of FORBIDDEN) {
      for (const spelling of spellings(path)) {
        for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
          const answer = await raw(method, spelling, { 'content-type': 'application/json' }, method === 'GET' || method === 'DELETE' ? undefined : '{}');
          const isProblem = answer.type.startsWith('application/problem+json');
          // a 4xx problem, and never the UI answering for the path either
          if (answer.status < 400 || answer.status >= 500 || !isProblem) leaks.push(`${method} ${spelling} → ${answer.status} ${answer.type} ${answer.body.slice(0, 80)}`);
          // nothing the sidecar or an app's internals would say
          if (/"errorCode"|ERR_|"keys"|"components"|"pubsubname"|process_cpu|"privateJwk"|"d":"/.test(answer.body)) leaks.push(`${method} ${spelling} leaks ${answer.body.slice(0, 120)}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('cannot shut the gateway’s sidecar down or publish through it', async () => {
    for (const path of ['/v1.0/shutdown', '/%76%31.0/shutdown', '/api/v1/../../v1.0/shutdown', '/v1.0/publish/pubsub/files.events']) {
      expect((await raw('POST', path, { 'content-type': 'application/json' }, '{}')).status, path).toBeGreaterThanOrEqual(400);
    }
    // the sidecar still answers its own app
    expect((await fetch(`http://127.0.0.1:${stack.apps[AppIds.gateway]!.daprHttpPort}/v1.0/healthz`)).status).toBe(204);
  });

  it('refuses paths that have no single meaning with 400 problem+json', async () => {
    for (const path of ['/api/v1/files/%00', '/api/v1/files/%ZZ', '/api/v1/files/%ff', '/api/v1/%2e%2e/%2e%2e/%2e%2e/x', '/../v1.0/metadata', '/api/v1/files/a%2fb', '/api/v1/files/a%5cb', '/api/v1/files/%3f', '/api/v1/files/%23', '/api/v1/files/%25']) {
      const answer = await raw('GET', path);
      expect(answer.status, path).toBe(400);
      expect(answer.type, path).toContain('application/problem+json');
    }
  });

  it('refuses header values outside printable ASCII with a 400 before anything is forwarded', async () => {
    const user = await Client.user(stack);
    for (const [path, headers] of [
      ['/api/v1/me', { authorization: `Bearer ${user.accessToken}`, 'user-agent': 'caf\u00e9 browser' }],
      ['/api/v1/me', { authorization: `Bearer ${user.accessToken}`, cookie: 'x=\u00ff' }],
      ['/signin', { 'x-note': '\u00e9t\u00e9' }],
    ] as const) {
      const answer = await raw('GET', path, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(400);
      expect(answer.type).toContain('application/problem+json');
    }
  });

  it('answers oversized headers and malformed requests with a problem, on both listeners', async () => {
    const internalPort = stack.apps[AppIds.gateway]!.internalPort;
    for (const port of [gateway.port, String(internalPort)]) {
      const big = await rawRequest(`http://127.0.0.1:${port}`, 'GET', '/api/v1/me', { 'x-padding': 'x'.repeat(20_000) });
      expect(big.status, port).toBe(431);
      expect(big.type).toContain('application/problem+json');
      expect(JSON.parse(big.body)).toMatchObject({ status: 431 });
    }
  });

  it('serves the API, the keys, the docs and the UI, in their canonical spelling and equivalent ones', async () => {
    const user = await Client.user(stack);
    for (const path of ['/api/v1/me', '/api//v1/me', '/api/v1/./me', '/api/v1/x/../me', '/%61pi/v1/me']) {
      const answer = await raw('GET', path, { authorization: `Bearer ${user.accessToken}` });
      expect(answer.status, path).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ id: user.userId });
    }
    expect((await raw('GET', '/.well-known/jwks.json')).status).toBe(200);
    expect((await raw('GET', '/api/docs')).type).toContain('text/html');
    expect((await raw('GET', '/api/v1/openapi.json')).status).toBe(200);
    const page = await raw('GET', '/signin');
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    // the API's path space is never answered by the UI, in any case
    for (const path of ['/API/v1/me', '/api/v2/me', '/Api/v1/files', '/api', '/.well-known/other']) {
      const answer = await raw('GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.type, path).toContain('application/problem+json');
    }
  });
});

describe('the listeners behind the public entry', () => {
  const internal = `http://127.0.0.1:${stack.apps[AppIds.gateway]!.internalPort}`;

  it('serves probes and metrics on the internal listener, and no API there', async () => {
    expect((await fetch(`${internal}/health/ready`)).status).toBe(200);
    expect(await (await fetch(`${internal}/metrics`)).text()).toContain('http_requests_total');
    const api = await fetch(`${internal}/api/v1/me`);
    expect(api.status).toBe(404);
    expect((await fetch(`${internal}/`)).status).toBe(404);
  });

  it('answers every other app’s API only to its sidecar (the app token), so its caller app-id can be believed', async () => {
    const routes = { [AppIds.files]: '/api/v1/files', [AppIds.sessions]: '/api/v1/me', [AppIds.ratelimit]: '/v1/policies', [AppIds.ui]: '/' };
    for (const [appId, path] of Object.entries(routes)) {
      const port = stack.apps[appId]!.appPort;
      const forged = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'dapr-caller-app-id': 'gateway', 'x-strata-client-address': '203.0.113.9' } });
      expect(forged.status, appId).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status, appId).toBe(404);
    }
  });
});
