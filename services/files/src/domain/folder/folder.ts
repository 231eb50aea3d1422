import { FolderEventTypes as T } from '@strata/contracts';
import type { DomainEvent } from '@strata/event-store';

/*
 * A folder's events, in stream `folder-<id>`. The tree itself (which names a folder holds, how
 * deep it is) is the read model's: a command that depends on it is given what it needs as data
 * (`Place`), read under the owner's tree lock in the command's own transaction.
 */
export type FolderCreated = DomainEvent<typeof T.FolderCreated, { folderId: string; ownerId: string; name: string; parentId: string | null; createdAt: string }>;
export type FolderRenamed = DomainEvent<typeof T.FolderRenamed, { folderId: string; ownerId: string; from: string; to: string; renamedAt: string }>;
export type FolderMoved = DomainEvent<typeof T.FolderMoved, { folderId: string; ownerId: string; from: string | null; to: string | null; movedAt: string }>;
/** `withFolderId`: the folder whose trash took this one along; absent for the one the user trashed. */
export type FolderTrashed = DomainEvent<typeof T.FolderTrashed, { folderId: string; ownerId: string; trashedAt: string; withFolderId?: string }>;
export type FolderRestored = DomainEvent<typeof T.FolderRestored, { folderId: string; ownerId: string; restoredAt: string }>;
export type FolderStarred = DomainEvent<typeof T.FolderStarred, { folderId: string; ownerId: string; starredAt: string }>;
export type FolderUnstarred = DomainEvent<typeof T.FolderUnstarred, { folderId: string; ownerId: string; unstarredAt: string }>;

export type FolderEvent = FolderCreated | FolderRenamed | FolderMoved | FolderTrashed | FolderRestored | FolderStarred | FolderUnstarred;

export type FolderState =
  | { status: 'none' }
  | {
      status: 'active' | 'trashed';
      folderId: string;
      ownerId: string;
      name: string;
      parentId: string | null;
      createdAt: string;
      updatedAt: string;
      trashedAt: string | null;
      /** The folder whose trash took this one along (restored with it); null when trashed on its own. */
      trashedWith: string | null;
      starred: boolean;
    };

export const initialFolderState: FolderState = { status: 'none' };

export function evolveFolder(state: FolderState, event: FolderEvent): FolderState {
  if (event.type === T.FolderCreated) {
    const { folderId, ownerId, name, parentId, createdAt } = event.data;
    return { status: 'active', folderId, ownerId, name, parentId, createdAt, updatedAt: createdAt, trashedAt: null, trashedWith: null, starred: false };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case T.FolderRenamed:
      return { ...state, name: event.data.to, updatedAt: event.data.renamedAt };
    case T.FolderMoved:
      return { ...state, parentId: event.data.to, updatedAt: event.data.movedAt };
    case T.FolderTrashed:
      return { ...state, status: 'trashed', trashedAt: event.data.trashedAt, trashedWith: event.data.withFolderId ?? null };
    case T.FolderRestored:
      return { ...state, status: 'active', trashedAt: null, trashedWith: null };
    case T.FolderStarred:
      return { ...state, starred: true };
    case T.FolderUnstarred:
      return { ...state, starred: false };
    default: {
      const never: never = event;
      return never;
    }
  }
}

export const folderStream = (folderId: string) => `folder-${folderId}`;
