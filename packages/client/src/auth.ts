import { ApiProblem } from './problem.js';

/**
 * Where a client's access tokens come from. `token()` gives the current one (fetching or renewing
 * it when needed); `renew()` is asked once after a 401, and says whether a new token is worth a
 * second try.
 */
export interface TokenSource {
  token(): Promise<string | undefined>;
  renew?(): Promise<boolean>;
}

type Fetch = (request: Request) => Promise<Response>;
const defaultFetch: Fetch = (request) => globalThis.fetch(request);
/** Tokens are renewed this long before they expire, so that a call never leaves with a dying one. */
const EARLY_MS = 30_000;

async function problemOf(response: Response): Promise<ApiProblem> {
  return ApiProblem.fromResponse(response);
}

/** RFC 6749 2.3.1: each half of HTTP Basic is form-encoded first. */
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
/** Base64 of UTF-8 text, in Node and in browsers alike. */
const base64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

export interface ClientCredentialsOptions {
  /** The gateway's origin, as `https://strata.example.com`. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for (a subset of the client's); all of them when absent. */
  scope?: string;
  fetch?: Fetch;
  /** The clock, for tests. */
  now?: () => number;
}

/** A token from the OAuth 2.0 token endpoint (RFC 6749 5.1), as it answers. */
export interface ClientToken {
  accessToken: string;
  scope: string;
  expiresAt: number;
}

/**
 * A partner's tokens by the OAuth 2.0 client-credentials grant (`POST /api/v1/auth/token`, the
 * secret in HTTP Basic as RFC 6749 2.3.1 prefers). A token is kept until shortly before it expires;
 * callers at the same moment share one request.
 */
export function clientCredentials(options: ClientCredentialsOptions): TokenSource & { current(): ClientToken | undefined } {
  const send = options.fetch ?? defaultFetch;
  const now = options.now ?? Date.now;
  let held: ClientToken | undefined;
  let pending: Promise<ClientToken> | undefined;

  const fetchToken = async (): Promise<ClientToken> => {
    const basic = base64(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`);
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(options.scope ? { scope: options.scope } : {}) });
    const response = await send(
      new Request(new URL('/api/v1/auth/token', options.baseUrl), {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
      }),
    );
    if (!response.ok) throw await problemOf(response);
    const answer = (await response.json()) as { access_token: string; expires_in: number; scope: string };
    return { accessToken: answer.access_token, scope: answer.scope, expiresAt: now() + answer.expires_in * 1000 };
  };
  const next = () => {
    pending ??= fetchToken().then(
      (token) => {
        held = token;
        pending = undefined;
        return token;
      },
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };

  return {
    async token() {
      if (held && held.expiresAt - EARLY_MS > now()) return held.accessToken;
      return (await next()).accessToken;
    },
    async renew() {
      held = undefined;
      await next();
      return true;
    },
    current: () => held,
  };
}

export interface UserSessionOptions {
  baseUrl: string;
  fetch?: Fetch;
  now?: () => number;
  /** Told each time the refresh token rotates, to keep it (a file, a keychain) for the next run. */
  onRefreshToken?: (refreshToken: string | undefined) => void | Promise<void>;
  /** Sent with the session's own requests (sessions lists devices by their user agent). */
  userAgent?: string;
}

const REFRESH_COOKIE = 'strata_refresh';

/**
 * A signed-in user's tokens: a short-lived access token, and the refresh token the API keeps in an
 * HttpOnly cookie (`strata_refresh`, path /api/v1/auth), which this session holds as a browser
 * would. Renewing (`POST /api/v1/auth/refresh`) rotates the refresh token; renewals at the same
 * moment share one request, because presenting a rotated token again ends the session (reuse
 * detection).
 */
export class UserSession implements TokenSource {
  private accessToken: string | undefined;
  private expiresAt = 0;
  private refreshToken: string | undefined;
  private pending: Promise<boolean> | undefined;
  private readonly send: Fetch;
  private readonly now: () => number;

  private constructor(private readonly options: UserSessionOptions) {
    this.send = options.fetch ?? defaultFetch;
    this.now = options.now ?? Date.now;
  }

  /** Signs in with an email and password (`POST /api/v1/auth/login`). */
  static async login(options: UserSessionOptions & { email: string; password: string }): Promise<UserSession> {
    const session = new UserSession(options);
    await session.post('/api/v1/auth/login', { email: options.email, password: options.password });
    return session;
  }

  /** Goes on from a refresh token kept by an earlier run (`onRefreshToken`); renews at once. */
  static async resume(options: UserSessionOptions & { refreshToken: string }): Promise<UserSession> {
    const session = new UserSession(options);
    session.refreshToken = options.refreshToken;
    if (!(await session.renew())) throw new ApiProblem({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'The refresh token is no longer valid; sign in again.' });
    return session;
  }

  async token(): Promise<string | undefined> {
    if (this.accessToken && this.expiresAt - EARLY_MS > this.now()) return this.accessToken;
    if (this.refreshToken) await this.renew();
    return this.accessToken;
  }

  /** A new access token from the refresh token, which rotates; false when the session has ended. */
  renew(): Promise<boolean> {
    this.pending ??= this.post('/api/v1/auth/refresh', {}).then(
      () => {
        this.pending = undefined;
        return true;
      },
      (error: unknown) => {
        this.pending = undefined;
        if (error instanceof ApiProblem && (error.status === 401 || error.status === 403)) return false;
        throw error;
      },
    );
    return this.pending;
  }

  /** Ends the session on the server (`POST /api/v1/auth/logout`) and forgets its tokens. */
  async logout(): Promise<void> {
    const response = await this.request('/api/v1/auth/logout', {});
    await response.body?.cancel();
    await this.keep(undefined);
    this.accessToken = undefined;
  }

  private request(path: string, body: unknown): Promise<Response> {
    return this.send(
      new Request(new URL(path, this.options.baseUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(this.refreshToken ? { cookie: `${REFRESH_COOKIE}=${this.refreshToken}` } : {}),
          ...(this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}),
          ...(this.options.userAgent ? { 'user-agent': this.options.userAgent } : {}),
        },
        body: JSON.stringify(body),
      }),
    );
  }

  private async post(path: string, body: unknown): Promise<void> {
    const response = await this.request(path, body);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${REFRESH_COOKIE}=`));
    if (cookie !== undefined) {
      const value = cookie.slice(REFRESH_COOKIE.length + 1).split(';')[0] ?? '';
      await this.keep(value === '' ? undefined : value);
    }
    if (!response.ok) throw await problemOf(response);
    const answer = (await response.json()) as { accessToken: string; expiresIn: number };
    this.accessToken = answer.accessToken;
    this.expiresAt = this.now() + answer.expiresIn * 1000;
  }

  private async keep(refreshToken: string | undefined): Promise<void> {
    this.refreshToken = refreshToken;
    await this.options.onRefreshToken?.(refreshToken);
  }
}

/** A fetch that sends the source's token, and after a 401 renews it and tries once more. */
export function authorizedFetch(inner: Fetch, source: TokenSource): Fetch {
  return async (request) => {
    if (request.headers.has('authorization')) return inner(request);
    const copy = source.renew && replayable(request) ? request.clone() : undefined;
    const token = await source.token();
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    const response = await inner(request);
    if (response.status !== 401 || !copy || !token) return response;
    if (!(await source.renew!())) return response;
    const renewed = await source.token();
    if (!renewed) return response;
    await response.body?.cancel().catch(() => undefined);
    copy.headers.set('authorization', `Bearer ${renewed}`);
    return inner(copy);
  };
}

/**
 * Whether a request can be sent again from a copy: no body, or a small body of a kind the API
 * takes as a whole (JSON, a form). A copy of a streamed body (an upload) would hold all of it in
 * memory until the first attempt ends, so those are never sent twice by the SDK.
 */
export function replayable(request: Request): boolean {
  if (request.body === null) return true;
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json') || type === 'application/x-www-form-urlencoded';
}
