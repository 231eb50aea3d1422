import Fastify from 'fastify';
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
