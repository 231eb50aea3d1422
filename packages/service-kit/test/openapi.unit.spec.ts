import { describe, expect, it } from 'vitest';
import { problemMediaTypes } from '../src/openapi.js';

describe('problemMediaTypes', () => {
  it('documents error answers as application/problem+json, as they are sent, and leaves the rest', () => {
    const schema = { type: 'object' };
    const doc = problemMediaTypes({
      paths: {
        '/api/v1/x': {
          get: {
            responses: {
              200: { content: { 'application/json': { schema } } },
              404: { content: { 'application/json': { schema } } },
              503: { content: { 'application/json': { schema } } },
              415: { content: { 'application/json': { schema }, 'text/plain': { schema } } },
            },
          },
        },
      },
    });
    const responses = (doc.paths['/api/v1/x']!.get as { responses: Record<string, { content: Record<string, unknown> }> }).responses;
    expect(Object.keys(responses[200]!.content)).toEqual(['application/json']);
    expect(Object.keys(responses[404]!.content)).toEqual(['application/problem+json']);
    expect(Object.keys(responses[503]!.content)).toEqual(['application/problem+json']);
    // an operation that names its media types itself keeps them
    expect(Object.keys(responses[415]!.content)).toEqual(['application/json', 'text/plain']);
  });
});
