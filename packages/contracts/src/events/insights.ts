import { type TObject, Type } from '@sinclair/typebox';
import { InsightsEventTypes } from './names.js';
import type { PublishedOf } from './published.js';

/*
 * The published events of topic `insights.events`, v1, mapped from the insights service's domain
 * events. They say what happened to a file version's index, not what the document says: the
 * text, summary and entities stay behind the owner's authorised routes.
 */

const strict = { additionalProperties: false } as const;
const document = {
  fileId: Type.String(),
  ownerId: Type.String(),
  version: Type.Integer({ minimum: 1 }),
  /** The extraction and understanding code that made it: raising it re-indexes. */
  extractorVersion: Type.Integer({ minimum: 1 }),
};

export const DocumentIndexedV1 = Type.Object(
  {
    ...document,
    language: Type.Union([Type.String(), Type.Null()]),
    pages: Type.Integer({ minimum: 0 }),
    ocrPages: Type.Integer({ minimum: 0 }),
    chars: Type.Integer({ minimum: 0 }),
    indexedAt: Type.String(),
  },
  strict,
);
export const DocumentIndexFailedV1 = Type.Object(
  {
    ...document,
    /** too-large, too-many-pages, timeout, memory, unsupported, corrupt, encrypted, zip-bomb, crashed, unavailable */
    reason: Type.String(),
    /** A transient failure is retried with backoff; a permanent one waits for the user's retry. */
    transient: Type.Boolean(),
    attempts: Type.Integer({ minimum: 1 }),
    failedAt: Type.String(),
  },
  strict,
);
export const DocumentTagsSuggestedV1 = Type.Object(
  { ...document, tags: Type.Array(Type.String()), suggestedAt: Type.String() },
  strict,
);

/** Every published event of `insights.events`, by type and schema version. */
export const InsightsEventSchemas = {
  [InsightsEventTypes.DocumentIndexed]: { 1: DocumentIndexedV1 },
  [InsightsEventTypes.DocumentIndexFailed]: { 1: DocumentIndexFailedV1 },
  [InsightsEventTypes.DocumentTagsSuggested]: { 1: DocumentTagsSuggestedV1 },
} as const satisfies Record<(typeof InsightsEventTypes)[keyof typeof InsightsEventTypes], Record<number, TObject>>;

export type PublishedInsightsEvent = PublishedOf<typeof InsightsEventSchemas>;
