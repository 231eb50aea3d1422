import { type DocumentEvent, DocumentEventTypes as T, type DocumentState, type Entity, type Tag } from './document.js';

type Seen = { fileId: string; ownerId: string };

/** Facts of files (from `files.events`), noted once each: a redelivered event decides nothing. */
export type NoteVersion = { type: 'NoteVersion'; data: Seen & { name: string; version: number; contentType: string; size: number; sha256: string; createdAt: string } };
export type NoteRename = { type: 'NoteRename'; data: Seen & { name: string; at: string } };
export type NoteTrashed = { type: 'NoteTrashed'; data: Seen & { at: string } };
export type NoteRestored = { type: 'NoteRestored'; data: Seen & { at: string } };
export type NotePurged = { type: 'NotePurged'; data: Seen & { at: string } };
/** What the indexer read in a version. */
export type RecordIndexed = {
  type: 'RecordIndexed';
  data: {
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
    tags: Tag[];
    now: Date;
  };
};
export type RecordIndexFailed = { type: 'RecordIndexFailed'; data: { version: number; extractorVersion: number; reason: string; transient: boolean; retryAt: Date | null; now: Date } };
/** The owner asks for a version to be read again (after a failure, or to read it with newer code). */
export type RequestRetry = { type: 'RequestRetry'; data: { ownerId: string; version?: number; now: Date } };
export type DecideTag = { type: 'DecideTag'; data: { ownerId: string; name: string; accepted: boolean; now: Date } };

export type DocumentCommand = NoteVersion | NoteRename | NoteTrashed | NoteRestored | NotePurged | RecordIndexed | RecordIndexFailed | RequestRetry | DecideTag;

export class DocumentNotFoundError extends Error {
  constructor(what = 'no such file') {
    super(what);
    this.name = 'DocumentNotFoundError';
  }
}
export class AlreadyQueuedError extends Error {
  constructor() {
    super('this version is waiting to be read already');
    this.name = 'AlreadyQueuedError';
  }
}

const iso = (d: Date) => d.toISOString();

/** The one decider of a document: files' facts are taken as they come; the owner's commands are checked. */
export function decideDocument(command: DocumentCommand, state: DocumentState): DocumentEvent[] {
  switch (command.type) {
    case 'NoteVersion': {
      const d = command.data;
      if (state.status === 'purged') return [];
      if (state.status !== 'none' && (state.ownerId !== d.ownerId || d.version in state.versions)) return [];
      const events: DocumentEvent[] = [{ type: T.DocumentVersionNoted, data: { ...d } }];
      // a later version delivered before the upload left the name unknown: the upload names it
      if (state.status !== 'none' && state.name === '' && d.name !== '') {
        events.push({ type: T.DocumentRenamed, data: { fileId: d.fileId, ownerId: d.ownerId, name: d.name, renamedAt: d.createdAt } });
      }
      return events;
    }
    case 'NoteRename': {
      const { fileId, ownerId, name, at } = command.data;
      if (state.status === 'none' || state.status === 'purged' || state.ownerId !== ownerId || state.name === name) return [];
      return [{ type: T.DocumentRenamed, data: { fileId, ownerId, name, renamedAt: at } }];
    }
    case 'NoteTrashed': {
      const { fileId, ownerId, at } = command.data;
      if (state.status !== 'active' || state.ownerId !== ownerId) return [];
      return [{ type: T.DocumentTrashed, data: { fileId, ownerId, trashedAt: at } }];
    }
    case 'NoteRestored': {
      const { fileId, ownerId, at } = command.data;
      if (state.status !== 'trashed' || state.ownerId !== ownerId) return [];
      return [{ type: T.DocumentRestored, data: { fileId, ownerId, restoredAt: at } }];
    }
    case 'NotePurged': {
      const { fileId, ownerId, at } = command.data;
      // delivered before the upload (a redelivery can come late): noted all the same, so the
      // upload, when it comes, finds the file gone and notes nothing
      if (state.status === 'none') return [{ type: T.DocumentPurged, data: { fileId, ownerId, purgedAt: at } }];
      if (state.status === 'purged' || state.ownerId !== ownerId) return [];
      return [{ type: T.DocumentPurged, data: { fileId, ownerId, purgedAt: at } }];
    }
    case 'RecordIndexed': {
      const d = command.data;
      if (state.status === 'none' || state.status === 'purged' || !state.versions[d.version]) return [];
      const doc = { fileId: state.fileId, ownerId: state.ownerId };
      const { tags, now, ...reading } = d;
      const events: DocumentEvent[] = [{ type: T.DocumentIndexed, data: { ...doc, ...reading, indexedAt: iso(now) } }];
      // tags describe what the file is now: only the current version suggests them
      if (d.version === state.current && tags.length > 0) {
        events.push({ type: T.DocumentTagsSuggested, data: { ...doc, version: d.version, extractorVersion: d.extractorVersion, tags, suggestedAt: iso(now) } });
      }
      return events;
    }
    case 'RecordIndexFailed': {
      const d = command.data;
      const version = state.status === 'none' || state.status === 'purged' ? undefined : state.versions[d.version];
      if (state.status === 'none' || state.status === 'purged' || !version) return [];
      return [
        {
          type: T.DocumentIndexFailed,
          data: {
            fileId: state.fileId,
            ownerId: state.ownerId,
            version: d.version,
            extractorVersion: d.extractorVersion,
            reason: d.reason,
            transient: d.transient,
            attempts: version.attempts + 1,
            failedAt: iso(d.now),
            retryAt: d.retryAt ? iso(d.retryAt) : null,
          },
        },
      ];
    }
    case 'RequestRetry': {
      const d = command.data;
      if (state.status !== 'active' || state.ownerId !== d.ownerId) throw new DocumentNotFoundError();
      const n = d.version ?? state.current;
      const version = state.versions[n];
      if (!version) throw new DocumentNotFoundError('no such version');
      if (version.status === 'pending') throw new AlreadyQueuedError();
      return [{ type: T.DocumentIndexRetryRequested, data: { fileId: state.fileId, ownerId: state.ownerId, version: n, requestedAt: iso(d.now) } }];
    }
    case 'DecideTag': {
      const d = command.data;
      if (state.status !== 'active' || state.ownerId !== d.ownerId) throw new DocumentNotFoundError();
      if (!Object.hasOwn(state.tags, d.name)) throw new DocumentNotFoundError('no such tag');
      if (state.tags[d.name] === d.accepted) return [];
      return [{ type: T.DocumentTagDecided, data: { fileId: state.fileId, ownerId: state.ownerId, name: d.name, accepted: d.accepted, decidedAt: iso(d.now) } }];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}
