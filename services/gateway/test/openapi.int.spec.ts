import type {} from '@strata/testing';
import { Validator } from '@seriousme/openapi-schema-validator';
import { REPO_ROOT } from '@strata/dev/paths';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const stack = inject('stack');

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { tags?: string[]; responses?: Record<string, unknown> }>>;
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document that holds every public route of every service', async () => {
    const res = await fetch(`${stack.gatewayUrl}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');

    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);

    // each service's own document (built from its route schemas) is part of the whole
    for (const appId of ['sessions', 'files']) {
      const own = (await (await fetch(`http://127.0.0.1:${stack.apps[appId]!.appPort}/openapi.json`, { headers: { 'dapr-api-token': stack.appApiToken } })).json()) as Doc;
      for (const [path, item] of Object.entries(own.paths)) {
        for (const method of Object.keys(item)) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
      }
    }
    for (const path of ['/api/v1/auth/register', '/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout', '/api/v1/me', '/api/v1/sessions', '/api/v1/sessions/{id}', '/api/v1/auth/token', '/.well-known/jwks.json']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    // errors are documented as problem details
    expect(JSON.stringify(doc.paths['/api/v1/auth/login'])).toContain('"401"');
  });

  it('is the document @strata/client is generated from, which npm run generate-client builds without a stack', async () => {
    const served = (await (await fetch(`${stack.gatewayUrl}/api/v1/openapi.json`)).json()) as Doc;
    const committed = JSON.parse(readFileSync(join(REPO_ROOT, 'packages', 'client', 'openapi.json'), 'utf8')) as Doc;
    // the same members, whatever their order (the committed file sorts its keys)
    expect(served).toEqual(committed);
    // the shapes clients use are named components, referenced where routes use them
    expect(JSON.stringify(served.paths['/api/v1/files'])).toContain('#/components/schemas/FileList');
  });

  it('has a docs page served from our own assets', async () => {
    const page = await fetch(`${stack.gatewayUrl}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('/api/docs/assets/swagger-ui-bundle.js');
    const bundle = await fetch(`${stack.gatewayUrl}/api/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await fetch(`${stack.gatewayUrl}/api/docs/init.js`)).status).toBe(200);
  });
});
