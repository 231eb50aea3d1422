import { AppError, httpError } from '@strata/service-kit';
import { ConcurrencyError } from '@strata/event-store';
import type { UploadFailure } from './db/schema.js';
import { CurrentVersionError, FileExistsError, FileNotFoundError, FileNotInTrashError, VersionNotFoundError } from './domain/file/decide.js';
import { InvalidNameError } from './domain/file/names.js';
import { InvalidLabelError } from './domain/file/versions.js';
import { NotThenError } from './domain/history.js';
import {
  FolderCycleError,
  FolderExistsError,
  FolderFullError,
  FolderNotFoundError,
  FolderNotInTrashError,
  FolderOperationPendingError,
  FolderTooDeepError,
  NameTakenError,
} from './domain/folder/place.js';
import { BadCursorError } from './projections/queries.js';

export const notFound = () => httpError(404, 'No such file.');
export const folderNotFound = () => httpError(404, 'No such folder.');
/** A recipient of a share tried what only the owner may do with the item. */
export const ownerOnly = (what: string) => new AppError(403, 'owner-only', 'Owner only', `Only the owner of this item can ${what}.`);

export const quotaExceeded = (quotaBytes: number, usedBytes: number, reservedBytes = 0) =>
  new AppError(
    413,
    'quota-exceeded',
    'Storage quota exceeded',
    `This upload would take your storage over its quota of ${quotaBytes} bytes (${usedBytes} used${reservedBytes > 0 ? `, ${reservedBytes} held for resumable uploads in progress` : ''}). Delete files and empty the trash, give up unfinished uploads, or ask for a larger quota.`,
    { quotaBytes, usedBytes, reservedBytes },
  );

export const tooLarge = (limit: number) =>
  new AppError(413, 'file-too-large', 'File too large', `A file may hold at most ${limit} bytes. Use a resumable upload (/api/v1/uploads) for larger files.`, { limitBytes: limit });

export const invalidName = (reason: string) => new AppError(422, 'invalid-file-name', 'Invalid file name', `The file name was refused: ${reason}.`);

/** Domain and read-model errors as HTTP problems; a version conflict is a 412 when the client sent If-Match, else a 409. */
export function toHttpError(error: unknown, ifMatch = false): unknown {
  if (error instanceof FileNotFoundError) return notFound();
  if (error instanceof FileNotInTrashError) return httpError(409, 'The file is not in the trash.');
  if (error instanceof FileExistsError) return httpError(409, 'The file exists already.');
  if (error instanceof InvalidNameError) return invalidName(error.reason);
  if (error instanceof VersionNotFoundError) return httpError(404, 'No such version of this file.');
  if (error instanceof CurrentVersionError) {
    return new AppError(
      409,
      'version-current',
      'Current version',
      `Version ${error.version} is the file's current version and cannot be deleted: restore another version first, or move the file to the trash.`,
      { version: error.version },
    );
  }
  if (error instanceof InvalidLabelError) return new AppError(400, 'invalid-label', 'Invalid version label', `The label was refused: ${error.reason}.`);
  if (error instanceof BadCursorError) return httpError(400, error.message);
  if (error instanceof FolderNotFoundError) return folderNotFound();
  if (error instanceof FolderNotInTrashError) return httpError(409, 'The folder is not in the trash.');
  if (error instanceof FolderExistsError) return httpError(409, 'The folder exists already.');
  if (error instanceof NameTakenError) {
    return new AppError(409, 'name-taken', 'Name taken', `"${error.takenName}" is taken in that folder (names are compared case-insensitively, after Unicode normalisation).`, {
      name: error.takenName,
    });
  }
  if (error instanceof FolderCycleError) return new AppError(409, 'folder-cycle', 'Folder cycle', 'A folder cannot be moved into itself or into one of its own folders.');
  if (error instanceof FolderTooDeepError) {
    return new AppError(422, 'folder-too-deep', 'Folders too deep', `Folders nest at most ${error.maxDepth} deep.`, { maxDepth: error.maxDepth });
  }
  if (error instanceof FolderFullError) {
    return new AppError(422, 'folder-full', 'Folder full', `A folder holds at most ${error.maxEntries} files and folders.`, { maxEntries: error.maxEntries });
  }
  if (error instanceof FolderOperationPendingError) {
    return new AppError(409, 'folder-operation-pending', 'A folder operation is under way', 'A folder of your drive is being trashed or restored right now; try again in a moment.');
  }
  if (error instanceof NotThenError) {
    return new AppError(409, 'not-there-then', 'Not there then', 'The folder did not exist at that moment, or was in the trash: there is nothing to restore it to.');
  }
  if (error instanceof ConcurrencyError) {
    return ifMatch ? httpError(412, 'The file has changed since you read it: read it again and retry.') : httpError(409, 'The file changed at the same time: retry.');
  }
  return error;
}

const FAILURES: Record<UploadFailure, string> = {
  'quota-exceeded': 'the file would have taken your storage over its quota',
  'size-mismatch': 'the bytes stored did not add up to its Upload-Length',
  'folder-gone': 'the folder it was meant for is no longer there (in the trash)',
};

/** A resumable upload whose completion was refused has ended: later requests hear why, nothing more is read. */
export const uploadFailed = (failure: UploadFailure) =>
  new AppError(410, 'upload-failed', 'Upload failed', `This upload ended when its completion was refused: ${FAILURES[failure]}. Its bytes were deleted; start a new upload.`, {
    reason: failure,
  });

/** A request body that cannot be read to its end: a retry of the same request may succeed. */
export const incompleteBody = (detail: string) => new AppError(400, 'incomplete-body', 'Incomplete request body', detail);

/** A request body that is not what the route takes: the same request will fail again. */
export const malformedBody = (detail: string) => new AppError(400, 'malformed-body', 'Malformed request body', detail);
