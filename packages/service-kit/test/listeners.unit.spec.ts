import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerClientError, mainServer } from '../src/listeners.js';

// A real Node server with the platform's client-error handler: what a request that never reached
// Fastify is answered.
const server = mainServer((_req, res) => res.end('ok'));
// as Fastify's clientErrorHandler (server.ts) and the internal listener install it
server.on('clientError', answerClientError);
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function send(method: string, headers: Record<string, string>) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: '/x', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('oversized headers', () => {
  it('are a 431 problem', async () => {
    const answer = await send('GET', { 'x-padding': 'p'.repeat(17_000) });
    expect(answer.status).toBe(431);
    expect(answer.type).toContain('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 431 });
  });

  it('are a 431 without a body to HEAD, which a client would read as the next answer', async () => {
    const answer = await send('HEAD', { 'x-padding': 'p'.repeat(17_000) });
    expect(answer.status).toBe(431);
    expect(answer.body).toBe('');
  });
});
