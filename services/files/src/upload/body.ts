import type { MultipartFile } from '@fastify/multipart';
import { AppError, httpError } from '@strata/service-kit';
import type { FastifyRequest } from 'fastify';
import { incompleteBody, malformedBody } from '../errors.js';

const NO_FILE_PART = 'The multipart body needs a part named "file".';
const TWO_FILES = 'The multipart body holds more than one file: send one file per request, in the part named "file".';

/**
 * What went wrong while a request body was read, as the client's problem: the connection closed
 * before Content-Length, a multipart body ended before its closing boundary, or it is malformed
 * (no boundary, a bad part, a second file). Every route that reads a body stream reads it through
 * `fromClient` or `multipartFile`, so such errors are mapped here and nowhere else; errors of the
 * blob store or the database are not body errors and stay 5xx.
 */
export function bodyError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const { code, message } = error instanceof Error ? (error as Error & { code?: unknown }) : { code: undefined, message: String(error) };
  switch (code) {
    case 'ECONNRESET':
    case 'ECONNABORTED':
    case 'ERR_STREAM_PREMATURE_CLOSE':
    case 'FST_MP_PREMATURE_CLOSE':
      return incompleteBody('The connection closed before the whole body had arrived.');
    case 'FST_FILES_LIMIT':
      return malformedBody(TWO_FILES);
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return httpError(413, 'The multipart body holds too many parts.');
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return malformedBody('A field of the multipart body was refused.');
  }
  // busboy's own errors carry no code, only these messages
  if (/unexpected end of multipart data|terminated early/i.test(message)) {
    return incompleteBody('The multipart body ended before its closing boundary.');
  }
  if (/boundary not found/i.test(message)) return malformedBody('The multipart Content-Type names no boundary.');
  return malformedBody('The body could not be read as multipart/form-data.');
}

/** The bytes of a request body, with errors of reading them turned into 4xx problems. */
export async function* fromClient(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  try {
    // an error the consumer throws does not land here: for-await returns this generator instead
    for await (const chunk of source) yield chunk;
  } catch (error) {
    throw bodyError(error);
  }
}

/**
 * The one file of a multipart/form-data body, in the part named `file`: its name as sent, and
 * its bytes as a source that only ends once the rest of the body has been read and found whole.
 * A body cut before its closing boundary, a second file or a malformed part after the file make
 * the source fail before its end, so whoever stores the bytes commits nothing.
 */
export async function multipartFile(request: FastifyRequest): Promise<{ filename: string; bytes: AsyncIterable<Buffer>; fields: ReadonlyMap<string, string> }> {
  if (!request.isMultipart()) throw httpError(415, 'Send the file as multipart/form-data with a part named "file".');
  const parts = request.parts()[Symbol.asyncIterator]();
  let file: MultipartFile | undefined;
  // the text fields, before the file and (once its bytes have been read) after it: the upload's `folderId`
  const fields = new Map<string, string>();
  try {
    while (!file) {
      const next = await parts.next();
      if (next.done) throw httpError(400, NO_FILE_PART);
      if (next.value.type === 'file') file = next.value;
      else fields.set(next.value.fieldname, String(next.value.value));
    }
  } catch (error) {
    throw bodyError(error);
  }
  // the rest of the body is dropped after the answer (plugins/requests.ts)
  if (file.fieldname !== 'file') throw httpError(400, NO_FILE_PART);
  const part = file;
  async function* bytes() {
    yield* fromClient(part.file);
    try {
      for (;;) {
        const next = await parts.next();
        if (next.done) return;
        if (next.value.type === 'file') throw malformedBody(TWO_FILES);
        fields.set(next.value.fieldname, String(next.value.value));
      }
    } catch (error) {
      throw bodyError(error);
    }
  }
  return { filename: part.filename ?? '', bytes: bytes(), fields };
}
