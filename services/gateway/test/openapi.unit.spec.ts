import { describe, expect, it } from 'vitest';
import { mergeDocuments } from '@strata/service-kit';
import { gatewayDocument } from '../src/routes/openapi.js';

const problem = { content: { 'application/problem+json': { schema: { type: 'object' } } } };

describe('the merged document declares the platform’s answers', () => {
  const doc = mergeDocuments(structuredClone(gatewayDocument), [
    {
      appId: 'files',
      doc: {
        openapi: '3.1.0',
        info: {},
        paths: {
          '/api/v1/files/{id}': {
            get: { security: [{ bearer: [] }], responses: { 200: { description: 'the file' }, 404: { description: 'no such file', ...problem } } },
            delete: { security: [{ bearer: [] }], responses: { 204: { description: 'trashed' }, 400: { description: 'its own 400', ...problem } } },
          },
          '/.well-known/jwks.json': { get: { responses: { 200: { description: 'keys' } } } },
        },
      },
    },
  ]);
  const responses = (path: string, method: string) => Object.keys((doc.paths![path]![method] as { responses: Record<string, unknown> }).responses).sort();

  it('on every operation: unreadable requests, rate limits and oversized headers; on secured ones, tokens and scopes; on those with bodies, size and type; with path parameters, their length', () => {
    expect(responses('/api/v1/files/{id}', 'get')).toEqual(['200', '400', '401', '403', '404', '414', '429', '431']);
    expect(responses('/api/v1/files/{id}', 'delete')).toEqual(['204', '400', '401', '403', '413', '414', '415', '429', '431']);
    expect(responses('/.well-known/jwks.json', 'get')).toEqual(['200', '400', '429', '431']);
    // the gateway's own operations too
    expect(responses('/api/v1/events', 'get')).toContain('431');
  });

  it('keeps what an operation declares itself, and refers to one problem schema for the rest', () => {
    const del = doc.paths!['/api/v1/files/{id}']!.delete as { responses: Record<string, { description?: string; $ref?: string }> };
    expect(del.responses[400]!.description).toBe('its own 400');
    expect(del.responses[429]!.$ref).toBe('#/components/responses/Platform429');
    const platform = (doc.components as { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> }).responses.Platform429!;
    expect(platform.content['application/problem+json']!.schema.$ref).toBe('#/components/schemas/Problem');
    expect(doc.components!.schemas!.Problem).toMatchObject({ type: 'object', required: ['type', 'title', 'status'] });
  });
});
