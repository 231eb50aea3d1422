/* eslint-disable @typescript-eslint/no-explicit-any -- the tests edit documents as freely as a careless change would */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { breakingChanges } from '../src/contract.js';
import { REPO_ROOT } from '../src/paths.js';

type Doc = Parameters<typeof breakingChanges>[0];
const committed = (): Doc => JSON.parse(readFileSync(join(REPO_ROOT, 'packages', 'client', 'openapi.json'), 'utf8')) as Doc;

/** A small document in the shape the services print: a listing, a create, a shared schema by $ref. */
const base = (): Doc =>
  structuredClone({
    openapi: '3.1.0',
    paths: {
      '/api/v1/things': {
        get: {
          parameters: [{ in: 'query', name: 'cursor', required: false, schema: { type: 'string' } }],
          responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/ThingList' } } } }, '400': { content: {} } },
        },
        post: {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' }, kind: { enum: ['a', 'b'], type: 'string' } } } } },
          },
          responses: { '201': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } },
        },
      },
    },
    components: {
      schemas: {
        Thing: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' }, owner: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } } },
        ThingList: { type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Thing' } }, nextCursor: { type: ['string', 'null'] } } },
      },
    },
  }) as Doc;

const change = (edit: (d: Record<string, any>) => void): Doc => {
  const d = base() as Record<string, any>;
  edit(d);
  return d as Doc;
};

describe('breakingChanges', () => {
  it('finds nothing between a document and itself (the committed one included)', () => {
    expect(breakingChanges(base(), base())).toEqual([]);
    expect(breakingChanges(committed(), committed())).toEqual([]);
  });

  it('catches a removed route and a removed method', () => {
    expect(breakingChanges(base(), change((d) => delete d.paths['/api/v1/things']))).toEqual(['GET /api/v1/things: route removed', 'POST /api/v1/things: route removed']);
    expect(breakingChanges(base(), change((d) => delete d.paths['/api/v1/things'].post))).toEqual(['POST /api/v1/things: route removed']);
  });

  it('catches a removed response field, at any depth and through $ref, and one no longer always sent', () => {
    expect(breakingChanges(base(), change((d) => delete d.components.schemas.Thing.properties.name))).toEqual([
      'GET /api/v1/things 200.items[]: response field name removed',
      'POST /api/v1/things 201: response field name removed',
    ]);
    expect(breakingChanges(base(), change((d) => delete d.components.schemas.Thing.properties.owner.properties.id))).toContain('POST /api/v1/things 201.owner: response field id removed');
    expect(breakingChanges(base(), change((d) => (d.components.schemas.ThingList.required = ['items'])))).toEqual(['GET /api/v1/things 200: response field nextCursor is no longer always sent']);
    expect(breakingChanges(base(), change((d) => (d.components.schemas.Thing.properties.id = { type: 'integer' })))).toContain('POST /api/v1/things 201.id: type string became integer');
  });

  it('catches a removed success response', () => {
    expect(breakingChanges(base(), change((d) => delete d.paths['/api/v1/things'].post.responses['201']))).toEqual(['POST /api/v1/things: response 201 removed']);
  });

  it('catches a new required request field and a new required parameter', () => {
    expect(
      breakingChanges(
        base(),
        change((d) => {
          const body = d.paths['/api/v1/things'].post.requestBody.content['application/json'].schema;
          body.properties.colour = { type: 'string' };
          body.required.push('colour');
        }),
      ),
    ).toEqual(['POST /api/v1/things body: new required request field colour']);
    expect(breakingChanges(base(), change((d) => d.paths['/api/v1/things'].get.parameters.push({ in: 'query', name: 'owner', required: true, schema: { type: 'string' } })))).toEqual([
      'GET /api/v1/things: new required parameter query owner',
    ]);
    expect(breakingChanges(base(), change((d) => (d.paths['/api/v1/things'].get.parameters[0].required = true)))).toEqual(['GET /api/v1/things: new required parameter query cursor']);
  });

  it('catches a request that accepts less: a parameter, a field of a closed body or an enum value removed', () => {
    expect(breakingChanges(base(), change((d) => (d.paths['/api/v1/things'].get.parameters = [])))).toEqual(['GET /api/v1/things: parameter query cursor removed']);
    expect(breakingChanges(base(), change((d) => delete d.paths['/api/v1/things'].post.requestBody.content['application/json'].schema.properties.kind))).toEqual(['POST /api/v1/things body: request field kind removed']);
    expect(breakingChanges(base(), change((d) => (d.paths['/api/v1/things'].post.requestBody.content['application/json'].schema.properties.kind.enum = ['a'])))).toEqual([
      'POST /api/v1/things body.kind: value "b" no longer accepted',
    ]);
  });

  it('passes additions: routes, methods, optional parameters and fields, response fields and statuses', () => {
    const added = change((d) => {
      d.paths['/api/v1/things/{id}'] = { get: { responses: { '200': { content: {} } } } };
      d.paths['/api/v1/things'].delete = { responses: { '204': {} } };
      d.paths['/api/v1/things'].get.parameters.push({ in: 'query', name: 'sort', required: false, schema: { type: 'string' } });
      d.paths['/api/v1/things'].post.requestBody.content['application/json'].schema.properties.note = { type: 'string' };
      d.paths['/api/v1/things'].post.requestBody.content['application/json'].schema.properties.kind.enum.push('c');
      d.paths['/api/v1/things'].post.responses['202'] = { content: {} };
      d.components.schemas.Thing.properties.createdAt = { type: 'string' };
      d.components.schemas.Thing.required.push('createdAt');
    });
    expect(breakingChanges(base(), added)).toEqual([]);
  });

  it('holds on the real document: removing a route, a response field or adding a required field is caught', () => {
    const doc = committed() as Record<string, any>;
    const edited = structuredClone(doc);
    delete edited.paths['/api/v1/usage'];
    delete edited.components.schemas.FileInfo.properties.sha256;
    const login = edited.paths['/api/v1/auth/login'].post.requestBody.content['application/json'].schema;
    login.properties.otp = { type: 'string' };
    login.required.push('otp');
    const breaks = breakingChanges(doc as Doc, edited as Doc);
    expect(breaks).toContain('GET /api/v1/usage: route removed');
    expect(breaks).toContain('GET /api/v1/files 200.items[]: response field sha256 removed');
    expect(breaks).toContain('POST /api/v1/auth/login body: new required request field otp');
  });
});
