import type {} from '@strata/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { partnerToken, registerPartner, startPartnerSidecar } from './partner-sidecar.js';
import { Client, sha256 } from './support.js';

const stack = inject('stack');

describe('a partner calls files through its own Dapr sidecar (app-id partner-example)', () => {
  let sidecar: Awaited<ReturnType<typeof startPartnerSidecar>>;
  beforeAll(async () => {
    sidecar = await startPartnerSidecar(stack);
  }, 90_000);
  afterAll(async () => sidecar?.stop());

  it('lists and downloads only the files granted to it with files:read, and uploads only with files:write', async () => {
    const { clientId, clientSecret } = await registerPartner(stack, 'files:read,files:write');
    const owner = await Client.user(stack);
    const shared = Buffer.from('%PDF-1.7\nshared with the partner');
    const sharedId = (await owner.upload('shared.pdf', shared)).json.id as string;
    const privateId = (await owner.upload('private.txt', Buffer.from('not for partners'))).json.id as string;
    expect((await owner.call('POST', `/api/v1/files/${sharedId}/grants`, { clientId })).status).toBe(204);
    expect((await owner.call('GET', `/api/v1/files/${sharedId}/grants`)).json.items).toMatchObject([{ clientId }]);

    const readToken = await partnerToken(stack, clientId, clientSecret, 'files:read');
    const auth = { authorization: `Bearer ${readToken}` };

    const list = await sidecar.invokeFiles('/api/v1/files', { headers: auth });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: { id: string }[] }).items.map((f) => f.id)).toEqual([sharedId]);
    const content = await sidecar.invokeFiles(`/api/v1/files/${sharedId}/content`, { headers: auth });
    expect(content.status).toBe(200);
    expect(sha256(Buffer.from(await content.arrayBuffer()))).toBe(sha256(shared));

    for (const path of [`/api/v1/files/${privateId}`, `/api/v1/files/${privateId}/content`, `/api/v1/files/${privateId}/versions`]) {
      expect((await sidecar.invokeFiles(path, { headers: auth })).status, path).toBe(404);
    }
    // read access is not write access: not the owner's file to rename or trash, and no upload without files:write
    expect((await sidecar.invokeFiles(`/api/v1/files/${sharedId}`, { method: 'DELETE', headers: auth })).status).toBe(403);
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('from the partner')]), 'partner.txt');
    expect((await sidecar.invokeFiles('/api/v1/files', { method: 'POST', headers: auth, body: form })).status).toBe(403);
    // without a token the service refuses, whatever the network path
    expect((await sidecar.invokeFiles('/api/v1/files')).status).toBe(401);

    const writeToken = await partnerToken(stack, clientId, clientSecret, 'files:read files:write');
    const writeAuth = { authorization: `Bearer ${writeToken}` };
    const upload = await sidecar.invokeFiles('/api/v1/files', { method: 'POST', headers: writeAuth, body: form });
    expect(upload.status).toBe(201);
    const uploaded = (await upload.json()) as { id: string; sha256: string };
    expect(uploaded.sha256).toBe(sha256(Buffer.from('from the partner')));
    expect((await sidecar.invokeFiles(`/api/v1/files/${sharedId}`, { method: 'DELETE', headers: writeAuth })).status).toBe(404);
    const both = (await (await sidecar.invokeFiles('/api/v1/files?sort=name', { headers: writeAuth })).json()) as { items: { id: string }[] };
    expect(both.items.map((f) => f.id).sort()).toEqual([sharedId, uploaded.id].sort());
    // the owner does not see the partner's upload among their files
    expect(((await owner.call('GET', '/api/v1/files')).json.items as { id: string }[]).map((f) => f.id).sort()).toEqual([sharedId, privateId].sort());

    // once unshared, the file is gone for the partner
    expect((await owner.call('DELETE', `/api/v1/files/${sharedId}/grants/${clientId}`)).status).toBe(204);
    expect((await sidecar.invokeFiles(`/api/v1/files/${sharedId}/content`, { headers: auth })).status).toBe(404);
    const after = (await (await sidecar.invokeFiles('/api/v1/files', { headers: auth })).json()) as { items: { id: string }[] };
    expect(after.items.map((f) => f.id)).toEqual([uploaded.id]);

    const activity = await owner.call('GET', '/api/v1/activity?limit=2');
    expect(activity.json.items).toMatchObject([{ type: 'FileUnshared' }, { type: 'FileShared', details: { clientId } }]);
  });
});
