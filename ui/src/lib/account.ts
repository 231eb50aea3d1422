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
