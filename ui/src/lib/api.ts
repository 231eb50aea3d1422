/** Errors from the API as the user should read them (problem+json title and detail). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly retryAfter?: number,
  ) {
    super(detail ?? title);
    this.name = 'ApiError';
  }

  /** One sentence for the person in front of the screen. */
  get friendly(): string {
    if (this.status === 0) return 'Strata cannot be reached. Check your connection and try again.';
    if (this.status === 429) {
      return `Too many attempts. Try again${this.retryAfter ? ` in ${this.retryAfter} seconds` : ' shortly'}.`;
    }
    if (this.status >= 500) return 'Something went wrong on our side. Please try again in a moment.';
    return this.detail ?? this.title;
  }
}

let accessToken: string | undefined;
let refreshing: Promise<boolean> | undefined;

export function setAccessToken(token: string | undefined): void {
  accessToken = token;
}

/** The current access token, for the few calls that cannot go through `api` (streams, uploads). */
export function currentAccessToken(): string | undefined {
  return accessToken;
}

async function toError(res: Response): Promise<ApiError> {
  let title = res.statusText || 'Error';
  let detail: string | undefined;
  try {
    const body = (await res.json()) as { title?: string; detail?: string };
    title = body.title ?? title;
    detail = body.detail;
  } catch {
    // not JSON: keep the status text
  }
  const retry = Number(res.headers.get('retry-after'));
  return new ApiError(res.status, title, detail, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}

/** Swaps the refresh cookie for a new access token; false when the session has ended. */
export async function refreshAccessToken(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      // JSON only: the sessions service refuses other bodies on the cookie routes (CSRF)
      const res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      if (!res.ok) {
        accessToken = undefined;
        return false;
      }
      accessToken = ((await res.json()) as { accessToken: string }).accessToken;
      return true;
    } catch {
      return false;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

/**
 * A call to /api/v1 with the access token; an expired token is refreshed once and the call
 * repeated. Errors come back as ApiError with the problem's title and detail.
 */
export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const send = () =>
    fetch(`/api/v1${path}`, {
      ...rest,
      credentials: 'same-origin',
      headers: {
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
        ...(rest.headers as Record<string, string> | undefined),
      },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  let res: Response;
  try {
    res = await send();
    if (res.status === 401 && accessToken && !path.startsWith('/auth/') && (await refreshAccessToken())) res = await send();
  } catch {
    throw new ApiError(0, 'Network error', undefined);
  }
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}
