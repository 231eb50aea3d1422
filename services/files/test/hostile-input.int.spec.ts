import type {} from '@strata/testing';
import { BlobServiceClient } from '@azure/storage-blob';
import { BLOB_CONTAINER } from '@strata/contracts';
import { describe, expect, inject, it } from 'vitest';
import { Client, rawMultipart } from './support.js';

const stack = inject('stack');
const { blobConnectionString } = stack;
const container = BlobServiceClient.fromConnectionString(blobConnectionString).getContainerClient(BLOB_CONTAINER);

async function blobCount(prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of container.listBlobsFlat({ prefix })) n++;
  return n;
}

describe('hostile input through the gateway', () => {
  it('refuses hostile names with a 4xx problem and stores nothing', async () => {
    const user = await Client.user(stack);
    const dispositions = [
      'filename="../../etc/passwd"',
      'filename="..\\\\windows\\\\system.ini"',
      'filename="a\\\\b.txt"',
      "filename*=UTF-8''nul%00byte.txt",
      'filename="nul%00byte.txt"',
      "filename*=UTF-8''invoice%E2%80%AEfdp.exe",
      `filename="${'n'.repeat(10_000)}.txt"`,
      'filename=""',
    ];
    for (const disposition of dispositions) {
      const { body, contentType } = rawMultipart(disposition, Buffer.from('payload'));
      const res = await user.call('POST', '/api/v1/files', body, { 'content-type': contentType });
      expect(res.status, disposition.slice(0, 60)).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const renames = ['../x', 'nul\u0000.txt', 'back\\slash', 'rtl\u202Etxt.exe', 'x'.repeat(10_000)];
    const ok = await user.upload('fine.txt', Buffer.from('fine'));
    expect(ok.status).toBe(201);
    for (const name of renames) {
      const res = await user.call('PATCH', `/api/v1/files/${ok.json.id as string}`, { name });
      expect(res.status, JSON.stringify(name.slice(0, 20))).toBe(name.length > 1024 ? 400 : 422);
    }
    expect((await user.call('GET', `/api/v1/files/${ok.json.id as string}`)).json).toMatchObject({ name: 'fine.txt' });
    expect((await user.call('GET', '/api/v1/usage')).json).toMatchObject({ files: 1, versions: 1, bytes: 4 });
    expect(await blobCount(`${user.userId}/`)).toBe(1);
  });

  it('records the content type from the bytes and never serves HTML as HTML', async () => {
    const user = await Client.user(stack);
    const html = Buffer.from('<!DOCTYPE html><html><script>alert(document.cookie)</script></html>');
    const up = await user.upload('cat.png', html, { type: 'image/png' });
    expect(up.status).toBe(201);
    expect(up.json.contentType).toBe('text/html');
    // both ways: by redirect (the SAS forces the type and the attachment) and proxied (nosniff too)
    for (const query of ['', '?redirect=false']) {
      const down = await user.call('GET', `/api/v1/files/${up.json.id as string}/content${query}`);
      expect(down.headers.get('content-type')).toBe('application/octet-stream');
      expect(down.headers.get('content-disposition')).toMatch(/^attachment;/);
      if (query) expect(down.headers.get('x-content-type-options')).toBe('nosniff');
      expect(down.bytes.equals(html)).toBe(true);
    }

    const svg = await user.upload('logo.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'));
    expect(svg.json.contentType).toBe('image/svg+xml');
    expect((await user.call('GET', `/api/v1/files/${svg.json.id as string}/content`)).headers.get('content-type')).toBe('application/octet-stream');
  });

  it('accepts an empty file', async () => {
    const user = await Client.user(stack);
    const up = await user.upload('empty.txt', Buffer.alloc(0));
    expect(up.status).toBe(201);
    expect(up.json).toMatchObject({ size: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
    const down = await user.call('GET', `/api/v1/files/${up.json.id as string}/content`);
    expect(down.status).toBe(200);
    expect(down.bytes.length).toBe(0);
  });

  it('refuses a body that is not multipart, or has no "file" part', async () => {
    const user = await Client.user(stack);
    expect((await user.call('POST', '/api/v1/files', { name: 'x' })).status).toBe(415);
    const form = new FormData();
    form.append('other', new Blob([Buffer.from('x')]), 'x.txt');
    expect((await user.call('POST', '/api/v1/files', form)).status).toBe(400);
  });
});
