import { InsightsEventTypes as P, type PublishedInsightsEvent } from '@strata/contracts';
import type { RecordedEvent } from '@strata/event-store';
import { type DocumentEvent, DocumentEventTypes as T } from './domain/document/document.js';

/**
 * A domain event as `insights.events` publishes it (`@strata/contracts`, v1), member by member:
 * what a document says (summary, entities) stays behind the owner's routes; the log's own
 * bookkeeping of files' facts is not published at all (null).
 */
export function toPublished(event: RecordedEvent<DocumentEvent>): PublishedInsightsEvent | null {
  switch (event.type) {
    case T.DocumentIndexed: {
      const { fileId, ownerId, version, extractorVersion, language, pages, ocrPages, chars, indexedAt } = event.data;
      return { type: P.DocumentIndexed, schemaVersion: 1, data: { fileId, ownerId, version, extractorVersion, language, pages, ocrPages, chars, indexedAt } };
    }
    case T.DocumentIndexFailed: {
      const { fileId, ownerId, version, extractorVersion, reason, transient, attempts, failedAt } = event.data;
      return { type: P.DocumentIndexFailed, schemaVersion: 1, data: { fileId, ownerId, version, extractorVersion, reason, transient, attempts, failedAt } };
    }
    case T.DocumentTagsSuggested: {
      const { fileId, ownerId, version, extractorVersion, tags, suggestedAt } = event.data;
      return { type: P.DocumentTagsSuggested, schemaVersion: 1, data: { fileId, ownerId, version, extractorVersion, tags: tags.map((t) => t.name), suggestedAt } };
    }
    case T.DocumentVersionNoted:
    case T.DocumentRenamed:
    case T.DocumentTrashed:
    case T.DocumentRestored:
    case T.DocumentPurged:
    case T.DocumentTagDecided:
    case T.DocumentIndexRetryRequested:
      return null;
    default: {
      const never: never = event;
      return never;
    }
  }
}
