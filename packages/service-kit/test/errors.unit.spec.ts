import Fastify from 'fastify';
import { request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AppError, httpError, registerProblemHandlers } from '../src/errors.js';

function app() {
  const server = Fastify({ logger: false });
  registerProblemHandlers(server);
  server.get('/conflict', async () => {
    throw httpError(409, 'version 3 expected, found 4', { expectedVersion: 3 });
  });
  server.get('/crash', async () => {
    throw new Error('connection string postgres://secret@db');
  });
  server.post('/echo', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } }, async (r) => r.body);
  return server;
}

describe('problem+json', () => {
  it('sends an AppError as RFC 9457 problem details', async () => {
    const res = await app().inject({ method: 'GET', url: '/conflict?x=1' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toEqual({
      type: 'https://strata.dev/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'version 3 expected, found 4',
      instance: '/conflict',
      expectedVersion: 3,
    });
  });

  it('never leaks an unexpected error message', async () => {
    const res = await app().inject({ method: 'GET', url: '/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
    expect(res.json()).toMatchObject({ status: 500, title: 'Internal server error' });
  });

  it('maps validation failures, malformed JSON and unknown routes to 4xx problems', async () => {
    const server = app();
    const invalid = await server.inject({ method: 'POST', url: '/echo', payload: { nope: 1 } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ status: 400, errors: [{ message: expect.stringContaining('name') }] });

    const malformed = await server.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toContain('application/problem+json');

    const missing = await server.inject({ method: 'GET', url: '/nowhere' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ status: 404, detail: 'No route GET /nowhere' });
  });

  it('keeps AppError fields', () => {
    const e = new AppError(422, 'bad-name', 'Bad file name', 'contains ../');
    expect(e.toProblem('/files')).toMatchObject({ type: 'https://strata.dev/problems/bad-name', status: 422, instance: '/files' });
  });
});

describe('method not allowed', () => {
  it('answers 405 with Allow when the path exists with other methods', async () => {
    const server = Fastify({ logger: false });
    registerProblemHandlers(server);
    server.get('/things/:id', async () => ({ ok: true }));
    server.delete('/things/:id', async () => ({ ok: true }));
    const res = await server.inject({ method: 'POST', url: '/things/42' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, DELETE');
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 405, title: 'Method not allowed' });
    expect((await server.inject({ method: 'POST', url: '/elsewhere' })).statusCode).toBe(404);
  });
});

describe('a body refused unread', () => {
  /** One request over a real socket: status, Connection header, and the bytes of body the server read. */
  async function post(server: ReturnType<typeof Fastify>, body: Buffer, type = 'application/json') {
    const address = server.server.address() as AddressInfo;
    return new Promise<{ status: number; connection: string | undefined; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: address.port, method: 'POST', path: '/echo', headers: { 'content-type': type, 'content-length': body.length } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('is read to its end before the 413 or 415, so the connection stays open and the answer arrives', async () => {
    const server = Fastify({ logger: false, bodyLimit: 1024 });
    registerProblemHandlers(server);
    server.post('/echo', async (r) => r.body);
    // as the platform's `*` parser refuses a type nobody parses: an AppError 415 at once, unread
    server.addContentTypeParser('application/x-refused', (_request, _payload, done) => done(httpError(415, 'not here'), undefined));
    // whether the request had been read to its end when its answer went out
    const ended: boolean[] = [];
    server.addHook('onSend', async (request) => {
      ended.push(request.raw.readableEnded);
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const big = Buffer.alloc(4 * 1024 * 1024, 'x');
      const tooLarge = await post(server, big);
      expect(tooLarge.status).toBe(413);
      expect(JSON.parse(tooLarge.text)).toMatchObject({ status: 413 });
      expect(tooLarge.connection).not.toBe('close');
      const unsupported = await post(server, big, 'application/x-nobody-parses-this');
      expect(unsupported.status).toBe(415);
      expect(unsupported.connection).not.toBe('close');
      const refused = await post(server, big, 'application/x-refused');
      expect(refused.status).toBe(415);
      expect(refused.connection).not.toBe('close');
      expect(ended).toEqual([true, true, true]);
    } finally {
      await server.close();
    }
  });

  it('past 16 MiB is not read to its end: the answer goes out and the connection closes, as Fastify meant', async () => {
    const server = Fastify({ logger: false, bodyLimit: 1024 });
    registerProblemHandlers(server);
    server.post('/echo', async (r) => r.body);
    // what the server had read when it answered, and how it answered
    let answered: { read: number; connection: unknown } | undefined;
    server.addHook('onSend', async (request, reply) => {
      answered = { read: request.socket.bytesRead, connection: reply.getHeader('connection') };
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = server.server.address() as AddressInfo;
      // headers announcing 64 MiB, then a steady stream until the server closes the connection
      // (whether the answer itself reaches this end is the race a close under unread bytes runs)
      await new Promise<void>((resolve) => {
        const socket = connect(address.port, '127.0.0.1');
        const chunk = Buffer.alloc(256 * 1024, 'x');
        socket.on('data', () => {});
        socket.on('error', () => resolve());
        socket.on('close', () => resolve());
        socket.write(`POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${64 * 1024 * 1024}\r\n\r\n`);
        const pump = () => {
          while (!socket.destroyed && socket.write(chunk));
          if (!socket.destroyed) socket.once('drain', pump);
        };
        pump();
      });
      expect(answered?.connection).toBe('close');
      expect(answered!.read).toBeGreaterThan(16 * 1024 * 1024);
      expect(answered!.read).toBeLessThan(20 * 1024 * 1024);
    } finally {
      await server.close();
    }
  });
});
