import { FolderEventTypes as T } from '@strata/contracts';
import { nameKey, validateFileName } from '../file/names.js';
import type { FolderEvent, FolderState } from './folder.js';
import {
  type Place,
  type TreeLimits,
  FolderCycleError,
  FolderExistsError,
  FolderNotFoundError,
  FolderNotInTrashError,
  FolderTooDeepError,
  NameTakenError,
  checkArrival,
} from './place.js';

/** Every command names the user it acts for: someone else's folder is not found. */
export type CreateFolder = { type: 'CreateFolder'; data: { folderId: string; ownerId: string; name: string; place: Place; limits: TreeLimits; now: Date } };
/** `taken`: the name keys of the folder's siblings that may clash (never its own). */
export type RenameFolder = { type: 'RenameFolder'; data: { ownerId: string; name: string; taken: readonly string[]; now: Date } };
/**
 * To another folder (`place`), under a new name if `name` is given: one command, so the name it
 * arrives with is the one checked there. `height`: how many levels of folders it holds below itself.
 */
export type MoveFolder = { type: 'MoveFolder'; data: { ownerId: string; place: Place; name?: string; height: number; limits: TreeLimits; now: Date } };
export type TrashFolder = { type: 'TrashFolder'; data: { ownerId: string; withFolderId?: string; now: Date } };
/**
 * Back where it was: `taken` are its siblings' clashing keys there, `rename` the free name that a
 * restore keeping both gives it (the caller's clash policy chose it), if any.
 */
export type RestoreFolder = { type: 'RestoreFolder'; data: { ownerId: string; taken: readonly string[]; rename?: string; now: Date } };
export type StarFolder = { type: 'StarFolder'; data: { ownerId: string; now: Date } };
export type UnstarFolder = { type: 'UnstarFolder'; data: { ownerId: string; now: Date } };

/**
 * Back to its name and parent of a past moment, out of the trash if it is in it (a folder restored
 * to how it was then). `place` is where it goes as the tree will be once the whole restore is
 * done; `height`, how many levels of folders it will hold below itself then.
 */
export type RewindFolder = {
  type: 'RewindFolder';
  data: { ownerId: string; to: { name: string; parentId: string | null }; place: Place; height: number; limits: TreeLimits; now: Date };
};

export type FolderCommand = RewindFolder | CreateFolder | RenameFolder | MoveFolder | TrashFolder | RestoreFolder | StarFolder | UnstarFolder;

function owned(state: FolderState, ownerId: string) {
  if (state.status === 'none' || state.ownerId !== ownerId) throw new FolderNotFoundError();
  return state;
}

function live(state: FolderState, ownerId: string) {
  const folder = owned(state, ownerId);
  if (folder.status !== 'active') throw new FolderNotFoundError();
  return folder;
}

export function decideFolder(command: FolderCommand, state: FolderState): FolderEvent[] {
  switch (command.type) {
    case 'CreateFolder': {
      if (state.status !== 'none') throw new FolderExistsError();
      const { folderId, ownerId, place, limits, now } = command.data;
      const name = validateFileName(command.data.name);
      checkArrival(place, nameKey(name), name, limits);
      if (place.parentDepth + 1 > limits.maxDepth) throw new FolderTooDeepError(limits.maxDepth);
      return [{ type: T.FolderCreated, data: { folderId, ownerId, name, parentId: place.parentId, createdAt: now.toISOString() } }];
    }
    case 'RenameFolder': {
      const { ownerId, taken, now } = command.data;
      const folder = live(state, ownerId);
      const name = validateFileName(command.data.name);
      if (name === folder.name) return [];
      if (taken.includes(nameKey(name))) throw new NameTakenError(name);
      return [{ type: T.FolderRenamed, data: { folderId: folder.folderId, ownerId, from: folder.name, to: name, renamedAt: now.toISOString() } }];
    }
    case 'MoveFolder': {
      const { ownerId, place, height, limits, now } = command.data;
      const folder = live(state, ownerId);
      const name = command.data.name === undefined ? folder.name : validateFileName(command.data.name);
      const at = now.toISOString();
      const renamed: FolderEvent[] = name === folder.name ? [] : [{ type: T.FolderRenamed, data: { folderId: folder.folderId, ownerId, from: folder.name, to: name, renamedAt: at } }];
      if (place.parentId === folder.parentId) {
        if (renamed.length > 0 && place.taken.includes(nameKey(name))) throw new NameTakenError(name);
        return renamed;
      }
      // into itself or below itself: the target's chain up to the root passes through it
      if (place.parentId === folder.folderId || place.chain.includes(folder.folderId)) throw new FolderCycleError();
      checkArrival(place, nameKey(name), name, limits);
      if (place.parentDepth + 1 + height > limits.maxDepth) throw new FolderTooDeepError(limits.maxDepth);
      return [{ type: T.FolderMoved, data: { folderId: folder.folderId, ownerId, from: folder.parentId, to: place.parentId, movedAt: at } }, ...renamed];
    }
    case 'RewindFolder': {
      const { ownerId, to, place, height, limits, now } = command.data;
      const folder = owned(state, ownerId);
      const name = validateFileName(to.name);
      const at = now.toISOString();
      const [restoring, moving, renaming] = [folder.status === 'trashed', to.parentId !== folder.parentId, name !== folder.name];
      if (moving && (place.parentId === folder.folderId || place.chain.includes(folder.folderId))) throw new FolderCycleError();
      if (restoring || moving || renaming) checkArrival(place, nameKey(name), name, limits);
      if ((restoring || moving) && place.parentDepth + 1 + height > limits.maxDepth) throw new FolderTooDeepError(limits.maxDepth);
      const events: FolderEvent[] = [];
      if (restoring) events.push({ type: T.FolderRestored, data: { folderId: folder.folderId, ownerId, restoredAt: at } });
      if (moving) events.push({ type: T.FolderMoved, data: { folderId: folder.folderId, ownerId, from: folder.parentId, to: to.parentId, movedAt: at } });
      if (renaming) events.push({ type: T.FolderRenamed, data: { folderId: folder.folderId, ownerId, from: folder.name, to: name, renamedAt: at } });
      return events;
    }
    case 'TrashFolder': {
      const { ownerId, withFolderId, now } = command.data;
      const folder = live(state, ownerId);
      return [{ type: T.FolderTrashed, data: { folderId: folder.folderId, ownerId, trashedAt: now.toISOString(), ...(withFolderId ? { withFolderId } : {}) } }];
    }
    case 'RestoreFolder': {
      const { ownerId, taken, rename, now } = command.data;
      const folder = owned(state, ownerId);
      if (folder.status !== 'trashed') throw new FolderNotInTrashError();
      const at = now.toISOString();
      const restored: FolderEvent = { type: T.FolderRestored, data: { folderId: folder.folderId, ownerId, restoredAt: at } };
      if (!taken.includes(nameKey(folder.name))) return [restored];
      if (rename === undefined) throw new NameTakenError(folder.name);
      const name = validateFileName(rename);
      if (taken.includes(nameKey(name))) throw new NameTakenError(name);
      return [restored, { type: T.FolderRenamed, data: { folderId: folder.folderId, ownerId, from: folder.name, to: name, renamedAt: at } }];
    }
    case 'StarFolder': {
      const { ownerId, now } = command.data;
      const folder = live(state, ownerId);
      return folder.starred ? [] : [{ type: T.FolderStarred, data: { folderId: folder.folderId, ownerId, starredAt: now.toISOString() } }];
    }
    case 'UnstarFolder': {
      const { ownerId, now } = command.data;
      const folder = live(state, ownerId);
      return folder.starred ? [{ type: T.FolderUnstarred, data: { folderId: folder.folderId, ownerId, unstarredAt: now.toISOString() } }] : [];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}
