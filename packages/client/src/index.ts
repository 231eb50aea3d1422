import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.js';

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

/** What an answer's problem is read from: its status line and headers. */
export interface AnswerHead {
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
}

/**
 * An error the API answered (RFC 9457 problem details), or status 0 when it could not be reached.
 * `retryAfter` is the Retry-After header in seconds, when the answer had one (429, 503).
 */
export class ApiProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly retryAfter: number | undefined;
  /** The whole problem as sent: some carry more members (limitBytes, error...). */
  readonly problem: Problem;

  constructor(problem: Problem, retryAfter?: number) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiProblem';
    this.problem = problem;
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.retryAfter = retryAfter;
  }

  /**
   * The problem of an answer that was not 2xx (a Response, or what an XMLHttpRequest read); a body
   * that is not a problem keeps the status and its text.
   */
  static fromBody(response: AnswerHead, body: unknown): ApiProblem {
    const given = body && typeof body === 'object' ? (body as Partial<Problem>) : {};
    const retry = Number(response.headers.get('retry-after'));
    return new ApiProblem(
      {
        ...given,
        type: typeof given.type === 'string' ? given.type : 'about:blank',
        title: typeof given.title === 'string' ? given.title : response.statusText || `HTTP ${response.status}`,
        status: response.status,
        ...(typeof given.detail === 'string' ? { detail: given.detail } : {}),
      },
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    );
  }

  /** The problem of an answer read as a stream or raw bytes (downloads, uploads), from its body. */
  static async fromResponse(response: Response): Promise<ApiProblem> {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    return ApiProblem.fromBody(response, body);
  }
}

/** What openapi-fetch gives back: `data` on 2xx, `error` (the parsed body) otherwise. */
interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a 2xx answer; anything else is thrown as an ApiProblem. */
export function unwrap<T>(result: Result<T>): T {
  if (result.response.ok && result.error === undefined) return result.data as T;
  throw ApiProblem.fromBody(result.response, result.error);
}

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
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    // globalThis.fetch is looked up when a request is sent, so that a page's or a test's own is used
    fetch: options.fetch ?? ((request) => globalThis.fetch(request)),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const { token, getToken } = options;
  if (token !== undefined || getToken) client.use(bearerToken(getToken ?? (() => token)));
  return client;
}
