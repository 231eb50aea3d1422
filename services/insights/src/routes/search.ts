import { createHash } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { ownerOf } from '../caller.js';
import { search } from '../projections/search.js';
import { SearchQuery, SearchResult, problems } from '../schemas/index.js';

const PAGE = 20;

/** A cursor names the offset of the next page and the query it belongs to: another query's cursor is a 400. */
const queryKey = (q: SearchQuery) => createHash('sha256').update(JSON.stringify([q.q, q.type ?? '', q.tag ?? '', q.from ?? '', q.to ?? '', q.limit ?? PAGE])).digest('base64url').slice(0, 16);
const encodeCursor = (offset: number, key: string) => Buffer.from(JSON.stringify({ o: offset, k: key })).toString('base64url');
function decodeCursor(cursor: string, key: string): number {
  try {
    const { o, k } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o: unknown; k: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0 && o <= 10_000 && k === key) return o;
  } catch {
    // falls through to the 400
  }
  throw httpError(400, 'The cursor does not belong to this search.');
}

/** Dates as `from` (inclusive) and `to` (inclusive: up to the end of that day), in UTC. */
function dayOf(value: string | undefined, end: boolean): Date | undefined {
  if (!value) return undefined;
  const day = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(day.getTime())) throw httpError(400, `Not a date: ${value}.`);
  return end ? new Date(day.getTime() + 86_400_000) : day;
}

export async function searchRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/api/v1/search',
    {
      preHandler: app.requireScopes('files:read'),
      schema: {
        summary: "Search the contents and names of the caller's files: ranked hits with highlighted snippets, and facets",
        description:
          'Words are matched in each document\'s language (stemmed), names also by prefix and near spelling. Trashed files are left out until restored. ' +
          'A snippet is plain text, HTML-escaped, with <mark>…</mark> around the matches.',
        tags: ['insights'],
        security: [{ bearer: [] }],
        querystring: SearchQuery,
        response: { 200: SearchResult, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { ownerId } = ownerOf(request);
      const q = request.query;
      if (q.q.trim() === '') throw httpError(400, 'Say what to search for (q).');
      const key = queryKey(q);
      const offset = q.cursor ? decodeCursor(q.cursor, key) : 0;
      const limit = q.limit ?? PAGE;
      const from = dayOf(q.from, false);
      const to = dayOf(q.to, true);
      if (from && to && from >= to) throw httpError(400, '`from` must be on or before `to`.');
      const result = await search(app.db, ownerId, q.q.trim(), { type: q.type, tag: q.tag, from, to }, { offset, limit });
      return reply.header('cache-control', 'private, no-store').send({ items: result.items, facets: result.facets, nextCursor: result.more ? encodeCursor(offset + limit, key) : null, total: result.total, approximate: result.approximate });
    },
  );
}
