/** GET /api/v1/grants: the partners a user let read their files, over every file (issue 16, partners in the UI). */
import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { rawRequest } from '@strata/testing/client';
import { Client, put } from './support.js';

const stack = inject('stack');

describe('GET /api/v1/grants', () => {
  it("lists the owner's grants with each file's name, newest first; a revoked one is gone at once; nobody else sees them", async () => {
    const a = await Client.user(stack);
    const report = await put(a, 'report.pdf');
    const notes = await put(a, 'notes.txt');
    expect((await a.call('GET', '/api/v1/grants')).json).toEqual({ items: [] });
    expect((await a.call('POST', `/api/v1/files/${String(report.id)}/grants`, { clientId: 'acme-crm' })).status).toBe(204);
    expect((await a.call('POST', `/api/v1/files/${String(notes.id)}/grants`, { clientId: 'acme-crm' })).status).toBe(204);
    expect((await a.call('POST', `/api/v1/files/${String(notes.id)}/grants`, { clientId: 'globex-archive' })).status).toBe(204);

    const listed = await a.call('GET', '/api/v1/grants');
    expect(listed.status).toBe(200);
    const items = listed.json.items as { fileId: string; fileName: string; clientId: string; fileStatus: string }[];
    expect(items.map((g) => [g.fileName, g.clientId]).sort()).toEqual([
      ['notes.txt', 'acme-crm'],
      ['notes.txt', 'globex-archive'],
      ['report.pdf', 'acme-crm'],
    ]);
    expect(items.every((g) => g.fileStatus === 'active')).toBe(true);

    expect((await a.call('DELETE', `/api/v1/files/${String(notes.id)}/grants/acme-crm`)).status).toBe(204);
    const after = (await a.call('GET', '/api/v1/grants')).json.items as { fileName: string; clientId: string }[];
    expect(after.map((g) => [g.fileName, g.clientId]).sort()).toEqual([
      ['notes.txt', 'globex-archive'],
      ['report.pdf', 'acme-crm'],
    ]);

    // a grant on a trashed file is listed as such (it works again on restore)
    expect((await a.call('DELETE', `/api/v1/files/${String(report.id)}`)).status).toBe(204);
    const trashed = (await a.call('GET', '/api/v1/grants')).json.items as { fileName: string; fileStatus: string }[];
    expect(trashed.find((g) => g.fileName === 'report.pdf')?.fileStatus).toBe('trashed');

    const b = await Client.user(stack);
    expect((await b.call('GET', '/api/v1/grants')).json).toEqual({ items: [] });
    // B cannot revoke A's grant: A's file is not found for B, and the grant stays
    expect((await b.call('DELETE', `/api/v1/files/${String(notes.id)}/grants/globex-archive`)).status).toBe(404);
    expect(((await a.call('GET', '/api/v1/grants')).json.items as unknown[]).length).toBe(2);
    expect((await new Client(stack.gatewayUrl).call('GET', '/api/v1/grants')).status).toBe(401);
    for (const odd of ['/api/v1/GRANTS', '/api/v1/%67rants', '/api/v1//grants', '/api/v1/./grants', '/api/v1/files/../grants']) {
      expect([401, 404], odd).toContain((await rawRequest(stack.gatewayUrl, 'GET', odd)).status);
    }
  });
});
