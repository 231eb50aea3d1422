import { InsightsEventTypes } from '@strata/contracts';
import type { DomainEvent } from '@strata/event-store';

/** The insights service's own event types: the published three, and its bookkeeping of files' facts. */
export const DocumentEventTypes = {
  ...InsightsEventTypes,
  DocumentVersionNoted: 'DocumentVersionNoted',
  DocumentRenamed: 'DocumentRenamed',
  DocumentTrashed: 'DocumentTrashed',
  DocumentRestored: 'DocumentRestored',
  DocumentPurged: 'DocumentPurged',
  DocumentTagDecided: 'DocumentTagDecided',
  DocumentIndexRetryRequested: 'DocumentIndexRetryRequested',
} as const;
const T = DocumentEventTypes;

export type EntityKind = 'person' | 'place' | 'organisation' | 'date' | 'amount' | 'email' | 'url';
export interface Entity { text: string; kind: EntityKind; count: number }
export interface Tag { name: string; source: 'rule' | 'keyword'; why: string }

type Doc = { fileId: string; ownerId: string };

/** A version files stored (FileUploaded, FileVersionAdded): something to read. */
export type DocumentVersionNoted = DomainEvent<typeof T.DocumentVersionNoted, Doc & { name: string; version: number; contentType: string; size: number; sha256: string; createdAt: string }>;
export type DocumentRenamed = DomainEvent<typeof T.DocumentRenamed, Doc & { name: string; renamedAt: string }>;
export type DocumentTrashed = DomainEvent<typeof T.DocumentTrashed, Doc & { trashedAt: string }>;
export type DocumentRestored = DomainEvent<typeof T.DocumentRestored, Doc & { restoredAt: string }>;
export type DocumentPurged = DomainEvent<typeof T.DocumentPurged, Doc & { purgedAt: string }>;
export type DocumentIndexed = DomainEvent<
  typeof T.DocumentIndexed,
  Doc & {
    version: number;
    extractorVersion: number;
    format: string;
    language: string | null;
    pages: number;
    ocrPages: number;
    chars: number;
    truncated: boolean;
    summary: string;
    keywords: string[];
    entities: Entity[];
    indexedAt: string;
  }
>;
export type DocumentIndexFailed = DomainEvent<
  typeof T.DocumentIndexFailed,
  Doc & { version: number; extractorVersion: number; reason: string; transient: boolean; attempts: number; failedAt: string; retryAt: string | null }
>;
export type DocumentTagsSuggested = DomainEvent<typeof T.DocumentTagsSuggested, Doc & { version: number; extractorVersion: number; tags: Tag[]; suggestedAt: string }>;
export type DocumentTagDecided = DomainEvent<typeof T.DocumentTagDecided, Doc & { name: string; accepted: boolean; decidedAt: string }>;
export type DocumentIndexRetryRequested = DomainEvent<typeof T.DocumentIndexRetryRequested, Doc & { version: number; requestedAt: string }>;

export type DocumentEvent =
  | DocumentVersionNoted
  | DocumentRenamed
  | DocumentTrashed
  | DocumentRestored
  | DocumentPurged
  | DocumentIndexed
  | DocumentIndexFailed
  | DocumentTagsSuggested
  | DocumentTagDecided
  | DocumentIndexRetryRequested;

export type IndexStatus = 'pending' | 'indexed' | 'failed';

export interface VersionState {
  version: number;
  status: IndexStatus;
  extractorVersion: number | null;
  attempts: number;
  /** A failure waiting for its retry (transient) or for the user (permanent). */
  transient: boolean;
}

export type DocumentState =
  | { status: 'none' }
  | {
      status: 'active' | 'trashed' | 'purged';
      fileId: string;
      ownerId: string;
      name: string;
      current: number;
      versions: Record<number, VersionState>;
      /** Tag name → accepted (true), rejected (false) or only suggested (null). */
      tags: Record<string, boolean | null>;
    };

export const initialDocumentState: DocumentState = { status: 'none' };

/** One stream per file: everything insights knows and did about it. */
export const documentStream = (fileId: string) => `document-${fileId}`;

export function evolveDocument(state: DocumentState, event: DocumentEvent): DocumentState {
  if (event.type === T.DocumentVersionNoted) {
    const d = event.data;
    const version: VersionState = { version: d.version, status: 'pending', extractorVersion: null, attempts: 0, transient: false };
    if (state.status === 'none') {
      return { status: 'active', fileId: d.fileId, ownerId: d.ownerId, name: d.name, current: d.version, versions: { [d.version]: version }, tags: {} };
    }
    return { ...state, current: Math.max(state.current, d.version), versions: { ...state.versions, [d.version]: version } };
  }
  if (state.status === 'none') {
    return event.type === T.DocumentPurged ? { status: 'purged', fileId: event.data.fileId, ownerId: event.data.ownerId, name: '', current: 0, versions: {}, tags: {} } : state;
  }
  const withVersion = (n: number, change: Partial<VersionState>) => {
    const v = state.versions[n];
    return v ? { ...state, versions: { ...state.versions, [n]: { ...v, ...change } } } : state;
  };
  switch (event.type) {
    case T.DocumentRenamed:
      return { ...state, name: event.data.name };
    case T.DocumentTrashed:
      return { ...state, status: 'trashed' };
    case T.DocumentRestored:
      return { ...state, status: 'active' };
    case T.DocumentPurged:
      return { ...state, status: 'purged', tags: {} };
    case T.DocumentIndexed:
      return withVersion(event.data.version, { status: 'indexed', extractorVersion: event.data.extractorVersion, attempts: 0, transient: false });
    case T.DocumentIndexFailed:
      return withVersion(event.data.version, { status: 'failed', extractorVersion: event.data.extractorVersion, attempts: event.data.attempts, transient: event.data.transient });
    case T.DocumentTagsSuggested: {
      // a new reading of the current version replaces the suggestions; the user's decisions stay
      const tags: Record<string, boolean | null> = {};
      for (const [name, accepted] of Object.entries(state.tags)) if (accepted !== null) tags[name] = accepted;
      for (const tag of event.data.tags) if (!(tag.name in tags)) tags[tag.name] = null;
      return { ...state, tags };
    }
    case T.DocumentTagDecided:
      return { ...state, tags: { ...state.tags, [event.data.name]: event.data.accepted } };
    case T.DocumentIndexRetryRequested:
      return withVersion(event.data.version, { status: 'pending', attempts: 0, transient: false });
    default: {
      const never: never = event;
      return never;
    }
  }
}
