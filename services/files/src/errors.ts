import { AppError, httpError } from '@strata/service-kit';
import { ConcurrencyError } from '@strata/event-store';
import { FileExistsError, FileNotFoundError, FileNotInTrashError } from './domain/file/decide.js';
import { InvalidNameError } from './domain/file/names.js';

export const notFound = () => httpError(404, 'No such file.');

export const quotaExceeded = (quotaBytes: number, usedBytes: number) =>
  new AppError(413, 'quota-exceeded', 'Storage quota exceeded', `This upload would take your storage over its quota of ${quotaBytes} bytes (${usedBytes} used). Delete files and empty the trash, or ask for a larger quota.`, {
    quotaBytes,
    usedBytes,
  });

export const tooLarge = (limit: number) =>
  new AppError(413, 'file-too-large', 'File too large', `A file may hold at most ${limit} bytes. Use a resumable upload (/api/v1/uploads) for larger files.`, { limitBytes: limit });

export const invalidName = (reason: string) => new AppError(422, 'invalid-file-name', 'Invalid file name', `The file name was refused: ${reason}.`);

/** Domain errors as HTTP problems; a version conflict is a 412 when the client sent If-Match, else a 409. */
export function toHttpError(error: unknown, ifMatch = false): unknown {
  if (error instanceof FileNotFoundError) return notFound();
  if (error instanceof FileNotInTrashError) return httpError(409, 'The file is not in the trash.');
  if (error instanceof FileExistsError) return httpError(409, 'The file exists already.');
  if (error instanceof InvalidNameError) return invalidName(error.reason);
  if (error instanceof ConcurrencyError) {
    return ifMatch ? httpError(412, 'The file has changed since you read it: read it again and retry.') : httpError(409, 'The file changed at the same time: retry.');
  }
  return error;
}
