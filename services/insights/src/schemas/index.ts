import { type Static, Type } from '@sinclair/typebox';

export { problems } from '@strata/service-kit';

const Id = Type.String({ format: 'uuid', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const Timestamp = Type.String({ format: 'date-time' });
/** Text Postgres can hold and a person types: no NUL or other C0 controls (a 400 before any query). */
const PLAIN = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';
const Plain = (opts: { minLength: number; maxLength: number }) => Type.String({ ...opts, pattern: PLAIN });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const FileIdParams = Type.Object({ id: Id });
export const TagParams = Type.Object({ id: Id, name: Plain({ minLength: 1, maxLength: 64 }) });
export const InsightsQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })) }, { additionalProperties: false });

export const EntityKind = Type.Union(['person', 'place', 'organisation', 'date', 'amount', 'email', 'url'].map((k) => Type.Literal(k)));
export const Insights = Type.Object(
  {
    fileId: Id,
    version: Type.Integer({ minimum: 1 }),
    status: Type.Union([Type.Literal('pending'), Type.Literal('indexed'), Type.Literal('failed')]),
    /** Why it failed (too-large, too-many-pages, timeout, memory, unsupported, corrupt, encrypted, zip-bomb, crashed, gone, archived, unavailable). */
    reason: Type.Optional(Type.String()),
    /** A transient failure is tried again at retryAt; a permanent one waits for a retry. */
    transient: Type.Optional(Type.Boolean()),
    retryAt: Type.Optional(Nullable(Timestamp)),
    attempts: Type.Integer({ minimum: 0 }),
    language: Nullable(Type.String()),
    format: Nullable(Type.String()),
    pages: Type.Integer({ minimum: 0 }),
    ocrPages: Type.Integer({ minimum: 0 }),
    truncated: Type.Boolean(),
    summary: Type.String(),
    keywords: Type.Array(Type.String()),
    entities: Type.Array(Type.Object({ text: Type.String(), kind: EntityKind, count: Type.Integer({ minimum: 1 }) })),
    tags: Type.Array(Type.Object({ name: Type.String(), source: Type.Union([Type.Literal('rule'), Type.Literal('keyword')]), why: Type.String(), accepted: Nullable(Type.Boolean()) })),
    extractorVersion: Nullable(Type.Integer()),
    indexedAt: Nullable(Timestamp),
    /** Where the preview image is, when there is one. */
    preview: Nullable(Type.String()),
  },
  { $id: 'Insights' },
);
export type Insights = Static<typeof Insights>;

export const TagDecision = Type.Object({ accepted: Type.Boolean() }, { additionalProperties: false });
export const RetryAccepted = Type.Object({ fileId: Id, version: Type.Integer({ minimum: 1 }), status: Type.Literal('pending') }, { $id: 'RetryAccepted' });
export const RetryBody = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })) }, { additionalProperties: false });

export const TypeFamily = Type.Union(['pdf', 'document', 'spreadsheet', 'presentation', 'text', 'image', 'other'].map((k) => Type.Literal(k)));
export const SearchQuery = Type.Object(
  {
    q: Plain({ minLength: 1, maxLength: 500 }),
    type: Type.Optional(TypeFamily),
    tag: Type.Optional(Plain({ minLength: 1, maxLength: 64 })),
    from: Type.Optional(Type.String({ format: 'date' })),
    to: Type.Optional(Type.String({ format: 'date' })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;
const Facet = Type.Array(Type.Object({ value: Type.String(), count: Type.Integer({ minimum: 0 }) }));
export const SearchResult = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        fileId: Id,
        name: Type.String(),
        version: Type.Integer({ minimum: 1 }),
        score: Type.Number(),
        /** Plain text (HTML-escaped) but for <mark>…</mark> around the matches. */
        snippet: Type.String(),
        page: Nullable(Type.Integer()),
      }),
    ),
    facets: Type.Object({ type: Facet, tag: Facet, year: Facet }),
    nextCursor: Nullable(Type.String()),
    /** How many documents match (the facets count them all); estimated from a sample past 10,000. */
    total: Type.Integer({ minimum: 0 }),
    /**
     * True when not every match was ranked (more than 200: the names that match and the documents
     * that repeat the words most are, at most 500, and paged), or the count and facets are
     * estimates (more than 10,000); narrow the search (more words, a filter) for an exact answer.
     */
    approximate: Type.Boolean(),
  },
  { $id: 'SearchResult' },
);

export const AskBody = Type.Object(
  {
    question: Plain({ minLength: 1, maxLength: 2_000 }),
    fileIds: Type.Optional(Type.Array(Id, { maxItems: 50, uniqueItems: true })),
    /** "What changed between v2 and v5": one file, two of its versions. */
    compare: Type.Optional(
      Type.Object({ fileId: Id, from: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }), to: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export const Answer = Type.Object(
  {
    answer: Type.String(),
    mode: Type.Union([Type.Literal('model'), Type.Literal('extractive')]),
    citations: Type.Array(Type.Object({ fileId: Id, name: Type.String(), version: Type.Integer({ minimum: 1 }), page: Nullable(Type.Integer()), passage: Type.String() })),
    /** For a comparison: the sentences added and removed. */
    changes: Type.Optional(Type.Object({ added: Type.Array(Type.String()), removed: Type.Array(Type.String()) })),
  },
  { $id: 'Answer' },
);
export type Answer = Static<typeof Answer>;
export const BinaryResponse = Type.String({ format: 'binary' });
