import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { Client } from './support.js';

const stack = inject('stack');

async function all(client: Client, query: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; json: Record<string, unknown> } = await client.call('GET', `/api/v1/files?limit=2&${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    names.push(...(res.json.items as { name: string }[]).map((f) => f.name));
    cursor = res.json.nextCursor as string | null;
  } while (cursor);
  return names;
}

describe('listing files', () => {
  it('pages through every sort order by cursor, without repeats or gaps, and searches by name', async () => {
    const user = await Client.user(stack);
    const sizes: Record<string, number> = { 'delta.txt': 4, 'alpha.txt': 1, 'Echo 100%.txt': 5, 'charlie.txt': 3, 'bravo.txt': 3 };
    for (const [name, size] of Object.entries(sizes)) expect((await user.upload(name, Buffer.alloc(size, 'x'))).status).toBe(201);

    expect(await all(user, 'sort=name')).toEqual(['Echo 100%.txt', 'alpha.txt', 'bravo.txt', 'charlie.txt', 'delta.txt']);
    expect(await all(user, 'sort=-name')).toEqual(['delta.txt', 'charlie.txt', 'bravo.txt', 'alpha.txt', 'Echo 100%.txt']);
    expect(await all(user, 'sort=createdAt')).toEqual(Object.keys(sizes));
    expect(await all(user, 'sort=-updatedAt')).toEqual(Object.keys(sizes).reverse());
    const bySize = await all(user, 'sort=size');
    expect(bySize.map((n) => sizes[n])).toEqual([1, 3, 3, 4, 5]);
    expect(await all(user, 'sort=-size')).toEqual([...bySize].reverse());

    expect(await all(user, 'q=ALPHA')).toEqual(['alpha.txt']);
    // % and _ are literal characters in a search, not wildcards
    expect(await all(user, `q=${encodeURIComponent('0%')}`)).toEqual(['Echo 100%.txt']);
    expect(await all(user, 'q=_')).toEqual([]);
    expect((await user.call('GET', '/api/v1/files?sort=owner')).status).toBe(400);
    expect((await user.call('GET', '/api/v1/files?limit=1000')).status).toBe(400);
  });

  it('is described in the OpenAPI document the gateway serves', async () => {
    const doc = (await (await fetch(`${stack.gatewayUrl}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, methods] of Object.entries({
      '/api/v1/files': ['get', 'post'],
      '/api/v1/files/{id}': ['get', 'patch', 'delete'],
      '/api/v1/files/{id}/content': ['get', 'put'],
      '/api/v1/files/{id}/versions': ['get'],
      '/api/v1/files/{id}/restore': ['post'],
      '/api/v1/trash': ['get'],
      '/api/v1/trash/{id}': ['delete'],
      '/api/v1/usage': ['get'],
      '/api/v1/activity': ['get'],
      '/api/v1/uploads': ['post'],
      '/api/v1/uploads/{id}': ['head', 'patch', 'delete'],
    })) {
      for (const method of methods) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
  });
});
