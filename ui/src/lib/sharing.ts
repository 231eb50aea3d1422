import { ApiProblem, api, unreachable, unwrap } from './api';

/** What a share or a link is of. */
export type ItemKind = 'file' | 'folder';
export type Role = 'viewer' | 'editor';

export const listShares = (kind: ItemKind, id: string) => api.GET('/api/v1/shares', { params: { query: { kind, id } } }).then(unwrap);
export const shareItem = (kind: ItemKind, id: string, email: string, role: Role) => api.POST('/api/v1/shares', { body: { kind, id, email, role } }).then(unwrap);
export const changeRole = (shareId: string, role: Role) => api.PATCH('/api/v1/shares/{id}', { params: { path: { id: shareId } }, body: { role } }).then(unwrap);
export const revokeShare = (shareId: string) => api.DELETE('/api/v1/shares/{id}', { params: { path: { id: shareId } } }).then(unwrap);
export const sharedWithMe = () => api.GET('/api/v1/shared-with-me').then(unwrap);

export const listLinks = (kind: ItemKind, id: string) => api.GET('/api/v1/links', { params: { query: { kind, id } } }).then(unwrap);
export const createLink = (body: { kind: ItemKind; id: string; expiresAt?: string; password?: string; maxDownloads?: number }) => api.POST('/api/v1/links', { body }).then(unwrap);
export const revokeLink = (linkId: string) => api.DELETE('/api/v1/links/{id}', { params: { path: { id: linkId } } }).then(unwrap);

/*
 * The public page of a link works without an account: plain fetch, no token, no refresh.
 */
export interface PublicEntry {
  id: string;
  kind: ItemKind;
  name: string;
  size?: number;
  contentType?: string;
  updatedAt: string;
}
export interface PublicLink {
  kind: ItemKind;
  name: string;
  size?: number;
  contentType?: string;
  expiresAt: string | null;
  downloadsLeft: number | null;
  entries?: PublicEntry[];
}

async function problemOf(res: Response): Promise<ApiProblem> {
  const body = (await res.json().catch(() => ({}))) as { type?: string; title?: string; detail?: string };
  const retry = Number(res.headers.get('retry-after'));
  return new ApiProblem({ type: body.type ?? 'about:blank', title: body.title ?? res.statusText, status: res.status, ...(body.detail ? { detail: body.detail } : {}) }, retry > 0 ? retry : undefined);
}

const linkPath = (token: string) => `/api/v1/public/links/${encodeURIComponent(token)}`;

/** What the link shares; an ApiProblem with status 401 and type …link-password-required when it needs its password. */
export async function readLink(token: string, linkToken?: string): Promise<PublicLink> {
  let res: Response;
  try {
    res = await fetch(linkPath(token), { headers: linkToken ? { 'x-link-token': linkToken } : {}, credentials: 'omit' });
  } catch {
    throw unreachable();
  }
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as PublicLink;
}

/** The password, checked by the server: a short-lived link token to read the link with. */
export async function unlockLink(token: string, password: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${linkPath(token)}/unlock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }), credentials: 'omit' });
  } catch {
    throw unreachable();
  }
  if (!res.ok) throw await problemOf(res);
  return ((await res.json()) as { linkToken: string }).linkToken;
}

/** Where the browser goes to download the link's content (a navigation: it streams to disk). */
export const contentHref = (token: string, linkToken?: string) => `${linkPath(token)}/content${linkToken ? `?linkToken=${encodeURIComponent(linkToken)}` : ''}`;

export const needsPassword = (error: unknown) => error instanceof ApiProblem && error.status === 401 && error.type.endsWith('link-password-required');
