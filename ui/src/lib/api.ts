import { ApiProblem, createStrataClient, unwrap } from '@strata/client';

export { ApiProblem, unwrap };

let accessToken: string | undefined;
let refreshing: Promise<boolean> | undefined;

export function setAccessToken(token: string | undefined): void {
  accessToken = token;
}

/** The current access token, for the few calls that cannot go through `api` (streams, uploads). */
export function currentAccessToken(): string | undefined {
  return accessToken;
}

/** Not an answer at all: the network failed, or the browser gave up (status 0). */
export const unreachable = (title = 'Network error', detail?: string) =>
  new ApiProblem({ type: 'about:blank', title, status: 0, ...(detail ? { detail } : {}) });

/** One sentence for the person in front of the screen; `fallback` when the error is not the API's. */
export function friendly(error: unknown, fallback: string): string {
  if (!(error instanceof ApiProblem)) return fallback;
  if (error.status === 0) return error.detail ?? 'Strata cannot be reached. Check your connection and try again.';
  if (error.status === 429) return `Too many attempts. Try again${error.retryAfter ? ` in ${error.retryAfter} seconds` : ' shortly'}.`;
  if (error.status >= 500) return 'Something went wrong on our side. Please try again in a moment.';
  return error.detail ?? error.title;
}

/** The cookie routes (sign-in, refresh, sign-out): a 401 there is the answer, not an expired token. */
const AUTH_PATHS = '/api/v1/auth/';

/** Calls without the retry below: the refresh itself. */
const plain = createStrataClient({ baseUrl: '' });

/** Swaps the refresh cookie for a new access token; false when the session has ended. */
export async function refreshAccessToken(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      // JSON only: the sessions service refuses other bodies on the cookie routes (CSRF)
      const { data } = await plain.POST('/api/v1/auth/refresh', { body: {}, credentials: 'same-origin' });
      accessToken = data?.accessToken;
      return data !== undefined;
    } catch {
      return false;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

/** Sends a request; an expired access token is refreshed once and the request sent again with the new one. */
async function send(request: Request): Promise<Response> {
  const again = request.clone();
  let res: Response;
  try {
    res = await fetch(request);
    if (res.status === 401 && accessToken && !new URL(request.url).pathname.startsWith(AUTH_PATHS) && (await refreshAccessToken())) {
      again.headers.set('authorization', `Bearer ${accessToken}`);
      res = await fetch(again);
    }
  } catch {
    throw unreachable();
  }
  return res;
}

/**
 * The typed client of /api/v1 (@strata/client) with this tab's access token; its errors come back
 * as ApiProblem through `unwrap`: `unwrap(await api.GET('/api/v1/me'))`.
 */
export const api = createStrataClient({ baseUrl: '', fetch: send, getToken: () => accessToken });
