import { unwrap } from './problem.js';

/** A page as the API's listings answer it: its items and the cursor of the next (null or absent on the last). */
export interface CursorPage<T> {
  items: T[];
  nextCursor?: string | null;
}

/** What a typed call gives back (openapi-fetch's `{ data, error, response }`). */
interface Result<P> {
  data?: P;
  error?: unknown;
  response: Response;
}

/**
 * Every page of a cursor listing in turn: `fetchPage(cursor)` is called with undefined first,
 * then with each page's `nextCursor` until there is none. An error answer is thrown as an
 * ApiProblem. `maxPages` bounds a listing that changes faster than it is read.
 */
export async function* pages<P extends CursorPage<unknown>>(
  fetchPage: (cursor: string | undefined) => Promise<Result<P>>,
  options: { maxPages?: number; signal?: AbortSignal } = {},
): AsyncGenerator<P, void, undefined> {
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (let n = 0; n < (options.maxPages ?? Number.POSITIVE_INFINITY); n++) {
    options.signal?.throwIfAborted();
    const page = unwrap(await fetchPage(cursor));
    yield page;
    const next = page.nextCursor ?? undefined;
    // a cursor seen before would read the same pages forever
    if (next === undefined || next === '' || seen.has(next)) return;
    seen.add(next);
    cursor = next;
  }
}

/**
 * Every item of a cursor listing, fetched a page at a time as the loop asks for them:
 * `for await (const file of paginate((cursor) => strata.GET('/api/v1/files', { params: { query: { cursor } } })))`.
 * Breaking out of the loop fetches no further page.
 */
export async function* paginate<P extends CursorPage<unknown>>(
  fetchPage: (cursor: string | undefined) => Promise<Result<P>>,
  options: { maxPages?: number; signal?: AbortSignal } = {},
): AsyncGenerator<P['items'][number], void, undefined> {
  for await (const page of pages(fetchPage, options)) yield* page.items as P['items'][number][];
}
