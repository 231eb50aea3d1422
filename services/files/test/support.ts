// The shared test client (cookie jar, token, JSON, FormData and bytes bodies).
import type { Client } from '@strata/testing/client';
import { expect } from 'vitest';

export { Client, eventually, rawRequest, sha256 } from '@strata/testing/client';

type Json = Record<string, unknown>;

/** A folder made through the API (201 expected), in `parentId` or at the root; its FolderInfo. */
export async function mkdir(client: Client, name: string, parentId?: string | null): Promise<Json> {
  const res = await client.call('POST', '/api/v1/folders', { name, ...(parentId !== undefined ? { parentId } : {}) });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

/** A file uploaded through the API (201 expected), into `folderId` or at the root; its FileInfo. */
export async function put(client: Client, name: string, folderId?: string, body = `content of ${name}`): Promise<Json> {
  const res = await client.upload(name, Buffer.from(body), folderId ? { path: `/api/v1/files?folderId=${folderId}` } : {});
  expect(res.status, res.text).toBe(201);
  return res.json;
}

/**
 * A multipart body written by hand, so a test controls the raw Content-Disposition (a NUL, an
 * RFC 5987 filename*, a path) that FormData would clean up.
 */
export function rawMultipart(disposition: string, bytes: Buffer, type = 'application/octet-stream') {
  const boundary = `----strata${Date.now()}${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\nContent-Type: ${type}\r\n\r\n`, 'utf8');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, bytes, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}
