import type {} from '@strata/testing';
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { describe, expect, inject, it } from 'vitest';
import { Client, rawMultipart } from './support.js';

const stack = inject('stack');
const filesPort = stack.apps.files!.appPort;
const MiB = 1024 * 1024;

/** One request over a given agent (node:http, so that the test decides which connection it takes). */
function send(agent: Agent, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: filesPort, method, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('connections to the files app', () => {
  it('serve the next request after an upload refused before its body was read', async () => {
    const user = await Client.user(stack);
    const headers = { authorization: `Bearer ${user.accessToken}`, 'dapr-caller-app-id': 'gateway', 'dapr-api-token': stack.appApiToken };
    // one connection, kept alive, as a sidecar's pool to the app keeps them
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = rawMultipart('filename="../escape.bin"', randomBytes(8 * MiB));
      const first = await send(agent, 'POST', '/api/v1/files', { ...headers, 'content-type': refused.contentType }, refused.body);
      expect(first.status).toBe(422);
      const kept = rawMultipart('filename="kept.bin"', Buffer.from('kept'));
      const second = await send(agent, 'POST', '/api/v1/files', { ...headers, 'content-type': kept.contentType }, kept.body);
      expect(second.status).toBe(201);
      const list = await send(agent, 'GET', '/api/v1/files', headers);
      expect((JSON.parse(list.text) as { items: { name: string }[] }).items.map((f) => f.name)).toEqual(['kept.bin']);
    } finally {
      agent.destroy();
    }
  });
});
