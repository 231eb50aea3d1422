import { api, unwrap } from './api';

export type { ActivityEntry, Session, Usage, UsageHistory } from '@strata/client';

export const getUsage = () => api.GET('/api/v1/usage').then(unwrap);
/** Your retention policy for old versions (both null: every version is kept). */
export const getRetention = () => api.GET('/api/v1/account/retention').then(unwrap);
export const setRetention = (policy: { keepLast: number | null; keepDays: number | null }) => api.PUT('/api/v1/account/retention', { body: policy }).then(unwrap);
export const usageHistory = (days: number) => api.GET('/api/v1/usage/history', { params: { query: { days } } }).then(unwrap);
export const listActivity = (cursor?: string | null) => api.GET('/api/v1/activity', { params: { query: cursor ? { cursor } : {} } }).then(unwrap);
/** The user's devices: one session each, the current one marked. */
export const listDevices = () => api.GET('/api/v1/sessions').then(unwrap);
export const signOutDevice = (id: string) => api.DELETE('/api/v1/sessions/{id}', { params: { path: { id } } }).then(unwrap);

/** Changes the password (the current one required); every other session of the account ends. */
export const changePassword = (current: string, next: string) => api.POST('/api/v1/me/password', { body: { current, next } }).then(unwrap);
export const changeDisplayName = (displayName: string) => api.PATCH('/api/v1/me', { body: { displayName } }).then(unwrap);
/** Ends every session of the account, this one included. */
export const signOutEverywhere = () => api.POST('/api/v1/sessions/revoke-all', { body: {} }).then(unwrap);
export const askPasswordReset = (email: string) => api.POST('/api/v1/auth/password-reset', { body: { email } }).then(unwrap);
export const confirmPasswordReset = (token: string, password: string) => api.POST('/api/v1/auth/password-reset/confirm', { body: { token, password } }).then(unwrap);
export const startExport = () => api.POST('/api/v1/me/exports').then(unwrap);
export const getExport = (id: string) => api.GET('/api/v1/me/exports/{id}', { params: { path: { id } } }).then(unwrap);
/** The export's archive, read with the token (a navigation could not send it), as a Blob to save. */
export const downloadExport = (id: string) => api.GET('/api/v1/me/exports/{id}/content', { params: { path: { id } }, parseAs: 'blob' }).then(unwrap);
export type { OwnerGrant } from '@strata/client';
/** Every file you let a partner client read. */
export const listGrants = () => api.GET('/api/v1/grants').then(unwrap);
export const revokeGrant = (fileId: string, clientId: string) =>
  api.DELETE('/api/v1/files/{id}/grants/{clientId}', { params: { path: { id: fileId, clientId } } }).then(unwrap);
