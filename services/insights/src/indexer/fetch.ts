import { AppIds, INSIGHTS_CONTENT_PATH } from '@strata/contracts';
import type { FastifyInstance } from 'fastify';
import { ExtractionFailure, readBounded } from '../extract/index.js';

/** Why a version's bytes could not be read, as the failure the indexer records. */
export class FetchFailure extends Error {
  constructor(
    readonly reason: 'gone' | 'archived' | 'unavailable' | 'too-large',
    readonly transient: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'FetchFailure';
  }
}

/**
 * One version's bytes, from files through Dapr (files keeps the blobs; insights holds no Blob
 * credential), read at most `maxBytes`: a larger one fails without being read on, so memory is
 * bounded by the limit whatever the file's size.
 */
export async function fetchVersion(app: FastifyInstance, fileId: string, version: number, maxBytes: number, timeoutMs: number): Promise<Uint8Array> {
  let res: Response;
  // the time limit is for the answer to begin: cutting a body off halfway crashes the sidecars
  // (dapr/dapr#10371), and the body is bounded by the size files declared
  const answered = new AbortController();
  const timer = setTimeout(() => answered.abort(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
  try {
    res = await app.dapr.invoke(AppIds.files, INSIGHTS_CONTENT_PATH(fileId, version), { signal: answered.signal });
  } catch (err) {
    throw new FetchFailure('unavailable', true, `files did not answer: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 404) {
    await res.body?.cancel();
    throw new FetchFailure('gone', false, 'files no longer has this version');
  }
  if (res.status === 409) {
    await res.body?.cancel();
    throw new FetchFailure('archived', false, 'the version is in the archive tier');
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new FetchFailure('unavailable', true, `files answered ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body.cancel();
    throw new FetchFailure('too-large', false, `${declared} bytes, over the limit of ${maxBytes}`);
  }
  try {
    return await readBounded(res.body as unknown as AsyncIterable<Uint8Array>, maxBytes);
  } catch (err) {
    if (err instanceof ExtractionFailure && err.reason === 'too-large') throw new FetchFailure('too-large', false, err.message);
    throw new FetchFailure('unavailable', true, `reading the content failed: ${(err as Error).message}`);
  }
}
