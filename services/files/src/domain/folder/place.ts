/**
 * Where a command puts a file or folder, as the read model sees it under the owner's tree lock:
 * the rules that span the tree (unique names, limits, no cycles) are decided on it, purely.
 */
export interface Place {
  /** The folder to put the entry in; null for the root. */
  parentId: string | null;
  /** The parent is one of the owner's folders, outside the trash (the root always is). */
  parentLive: boolean;
  /** How deep the parent is: 0 for the root, 1 for a folder at the root. */
  parentDepth: number;
  /** The parent's ancestors and itself, from the parent up (a move checks them for cycles). */
  chain: readonly string[];
  /** Live entries (files and folders) in the parent now. */
  entries: number;
  /** Name keys (`nameKey`) taken in the parent that may clash: the name's and its "(n)" variants'; never the entry's own. */
  taken: readonly string[];
}

export interface TreeLimits {
  /** Deepest nesting of folders: a folder at the root is at depth 1. */
  maxDepth: number;
  /** Most live entries one folder holds (the root is not limited: drives had no folders before). */
  maxEntries: number;
}

export class FolderNotFoundError extends Error {
  constructor() {
    super('no such folder');
    this.name = 'FolderNotFoundError';
  }
}
export class FolderExistsError extends Error {
  constructor() {
    super('a folder with this id exists already');
    this.name = 'FolderExistsError';
  }
}
export class FolderNotInTrashError extends Error {
  constructor() {
    super('the folder is not in the trash');
    this.name = 'FolderNotInTrashError';
  }
}
/** The name is taken in the folder (case-insensitively, after Unicode normalisation). */
export class NameTakenError extends Error {
  constructor(readonly takenName: string) {
    super(`"${takenName}" exists in that folder already`);
    this.name = 'NameTakenError';
  }
}
/** A folder moved into itself or one of its descendants. */
/** A folder's trash or restore in batches is under way in the owner's drive: a change that must not cross it waits (409, try again). */
export class FolderOperationPendingError extends Error {
  constructor() {
    super('a folder of the drive is being trashed or restored');
    this.name = 'FolderOperationPendingError';
  }
}

export class FolderCycleError extends Error {
  constructor() {
    super('a folder cannot be moved into itself or one of its own folders');
    this.name = 'FolderCycleError';
  }
}
export class FolderTooDeepError extends Error {
  constructor(readonly maxDepth: number) {
    super(`folders nest at most ${maxDepth} deep`);
    this.name = 'FolderTooDeepError';
  }
}
export class FolderFullError extends Error {
  constructor(readonly maxEntries: number) {
    super(`a folder holds at most ${maxEntries} entries`);
    this.name = 'FolderFullError';
  }
}

/** The checks every entry that arrives in a folder passes: the folder is there, has room, and the name is free. */
export function checkArrival(place: Place, key: string, name: string, limits: TreeLimits): void {
  if (!place.parentLive) throw new FolderNotFoundError();
  if (place.parentId !== null && place.entries >= limits.maxEntries) throw new FolderFullError(limits.maxEntries);
  if (place.taken.includes(key)) throw new NameTakenError(name);
}
