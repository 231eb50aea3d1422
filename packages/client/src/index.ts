import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { type TokenSource, authorizedFetch } from './auth.js';
import { type RetryOptions, retryingFetch } from './retry.js';
import type { components, paths } from './schema.js';

export { type ClientCredentialsOptions, type ClientToken, type TokenSource, type UserSessionOptions, UserSession, authorizedFetch, clientCredentials } from './auth.js';
export { type RetryOptions, isRetryable, retryAfterMs, retryingFetch } from './retry.js';
export { type CursorPage, pages, paginate } from './paging.js';

export type { components, paths } from './schema.js';

type Schemas = components['schemas'];

// The shapes clients use, named once in the document (the services' TypeBox schemas with an $id)
export type User = Schemas['User'];
export type AccessToken = Schemas['AccessToken'];
export type TokenResponse = Schemas['TokenResponse'];
export type Session = Schemas['Session'];
export type SessionList = Schemas['SessionList'];
export type OwnerGrant = Schemas['OwnerGrant'];
export type AccountExport = Schemas['AccountExport'];
export type FileInfo = Schemas['FileInfo'];
export type FileList = Schemas['FileList'];
export type FileAsOf = Schemas['FileAsOf'];
export type RestoredTo = Schemas['RestoredTo'];
export type TrashedFile = Schemas['TrashedFile'];
export type TrashList = Schemas['TrashList'];
export type VersionInfo = Schemas['VersionInfo'];
export type VersionList = Schemas['VersionList'];
export type Rehydrating = Schemas['Rehydrating'];
export type ContentLink = Schemas['ContentLink'];
export type Usage = Schemas['Usage'];
export type UsageHistory = Schemas['UsageHistory'];
export type ActivityEntry = Schemas['ActivityEntry'];
export type ActivityList = Schemas['ActivityList'];
export type Grant = Schemas['Grant'];
export type GrantList = Schemas['GrantList'];
export type Problem = Schemas['Problem'];
/** A page of a listing: its items and the cursor of the next page (null on the last). */
export type Page<T> = { items: T[]; nextCursor: FileList['nextCursor'] };
/** The sort orders of the file list. */
export type FileSort = NonNullable<paths['/api/v1/files']['get']['parameters']['query']>['sort'];

/** The typed client: `GET('/api/v1/files', { params: { query } })` and so on, paths and shapes from the document. */
export type StrataClient = Client<paths>;

export { ApiProblem, type AnswerHead, unwrap } from './problem.js';

export interface StrataClientOptions {
  /** The gateway's origin, as `http://127.0.0.1:8080`; '' in a browser on the same origin. */
  baseUrl: string;
  /** The fetch to send with (a cookie jar, a connection pool, a retry on 401); globalThis.fetch by default. */
  fetch?: (request: Request) => Promise<Response>;
  /** A fixed bearer token (a partner's, a test's)... */
  token?: string;
  /** ...or the current one, asked before every request (a browser's, which refreshes). */
  getToken?: () => string | undefined | Promise<string | undefined>;
  /** Sent with every request (a user agent, an app token). */
  headers?: Record<string, string>;
  /**
   * Where tokens come from, renewed once after a 401: `clientCredentials(...)` for a partner,
   * `await UserSession.login(...)` for a user. Takes the place of `token` and `getToken`.
   */
  auth?: TokenSource;
  /** Retries of 429 and 503 answers (idempotent calls only); `false` sends each call once. */
  retry?: RetryOptions | false;
}

/** Sends `Authorization: Bearer <token>` unless the request names its own. */
export function bearerToken(getToken: () => string | undefined | Promise<string | undefined>): Middleware {
  return {
    async onRequest({ request }) {
      if (request.headers.has('authorization')) return undefined;
      const token = await getToken();
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  };
}

/** A client of the Strata API through the gateway, typed by the OpenAPI document. */
export function createStrataClient(options: StrataClientOptions): StrataClient {
  // globalThis.fetch is looked up when a request is sent, so that a page's or a test's own is used
  let send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  // the token is set on each attempt, so that a retry after a long Retry-After sends a live one
  if (options.auth) send = authorizedFetch(send, options.auth);
  if (options.retry !== undefined && options.retry !== false) send = retryingFetch(send, options.retry);
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: send,
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const { token, getToken } = options;
  if (!options.auth && (token !== undefined || getToken)) client.use(bearerToken(getToken ?? (() => token)));
  return client;
}
