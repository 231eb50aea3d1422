import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { Client } from './support.js';

const stack = inject('stack');
const { gatewayUrl } = stack;

describe("one user cannot reach another's files", () => {
  it("answers 404 to user B on every route that takes user A's file id", async () => {
    const a = await Client.user(stack);
    const b = await Client.user(stack);
    const live = (await a.upload('secret.txt', Buffer.from('top secret'))).json.id as string;
    const trashed = (await a.upload('old.txt', Buffer.from('old secret'))).json.id as string;
    expect((await a.call('DELETE', `/api/v1/files/${trashed}`)).status).toBe(204);

    const form = new FormData();
    form.append('file', new Blob([Buffer.from('overwrite')]), 'x.txt');
    const attempts: [string, string, unknown?][] = [];
    for (const id of [live, trashed]) {
      attempts.push(
        ['GET', `/api/v1/files/${id}`],
        ['GET', `/api/v1/files/${id}/content`],
        ['GET', `/api/v1/files/${id}/content?version=1`],
        ['GET', `/api/v1/files/${id}/versions`],
        ['PATCH', `/api/v1/files/${id}`, { name: 'mine.txt' }],
        ['DELETE', `/api/v1/files/${id}`],
        ['POST', `/api/v1/files/${id}/restore`],
        ['DELETE', `/api/v1/trash/${id}`],
        ['GET', `/api/v1/files/${id}/grants`],
        ['POST', `/api/v1/files/${id}/grants`, { clientId: 'some-partner' }],
        ['DELETE', `/api/v1/files/${id}/grants/some-partner`],
      );
    }
    for (const [method, path, body] of attempts) {
      const res = await b.call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type'), `${method} ${path}`).toContain('application/problem+json');
    }
    expect((await b.upload('x.txt', Buffer.from('overwrite'), { method: 'PUT', path: `/api/v1/files/${live}/content` })).status).toBe(404);

    expect((await b.call('GET', '/api/v1/files')).json.items).toEqual([]);
    expect((await b.call('GET', '/api/v1/trash')).json.items).toEqual([]);
    expect((await b.call('GET', '/api/v1/activity')).json.items).toEqual([]);
    expect((await b.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 0, files: 0 });

    // and A's file is untouched
    const mine = await a.call('GET', `/api/v1/files/${live}/content`);
    expect(mine.text).toBe('top secret');
    expect((await a.call('GET', '/api/v1/files')).json.items).toMatchObject([{ id: live, name: 'secret.txt', version: 1 }]);
    expect((await a.call('GET', '/api/v1/trash')).json.items).toMatchObject([{ id: trashed }]);
  });

  it('refuses calls without a token, and ids that are not ids', async () => {
    const anonymous = new Client(gatewayUrl);
    expect((await anonymous.call('GET', '/api/v1/files')).status).toBe(401);
    const a = await Client.user(stack);
    expect((await a.call('GET', '/api/v1/files/not-a-uuid')).status).toBe(400);
    expect((await a.call('GET', '/api/v1/files?cursor=forged')).status).toBe(400);
  });
});
