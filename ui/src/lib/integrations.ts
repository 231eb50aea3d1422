import type { components } from '@strata/client';
import { api, unwrap } from './api';

type Schemas = components['schemas'];
export type PartnerClient = Schemas['PartnerClient'];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type PartnerScope = 'files:read' | 'files:write';

// partner self-service (sessions): a user's own partner clients
export const listPartners = () => api.GET('/api/v1/partners').then(unwrap);
export const registerPartner = (name: string, scopes: PartnerScope[]) => api.POST('/api/v1/partners', { body: { name, scopes } }).then(unwrap);
export const rotatePartnerSecret = (clientId: string) => api.POST('/api/v1/partners/{clientId}/rotate-secret', { params: { path: { clientId } } }).then(unwrap);
export const setPartnerScopes = (clientId: string, scopes: PartnerScope[]) => api.PUT('/api/v1/partners/{clientId}/scopes', { params: { path: { clientId } }, body: { scopes } }).then(unwrap);

// webhooks: the user's own endpoints and their deliveries
export const listWebhooks = () => api.GET('/api/v1/webhooks').then(unwrap);
export const createWebhook = (url: string, eventTypes: string[], description: string) =>
  api.POST('/api/v1/webhooks', { body: { url, eventTypes: eventTypes as never, ...(description ? { description } : {}) } }).then(unwrap);
export const deleteWebhook = (id: string) => api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id } } }).then(unwrap);
export const rotateWebhookSecret = (id: string) => api.POST('/api/v1/webhooks/{id}/rotate-secret', { params: { path: { id } } }).then(unwrap);
export const listDeliveries = (id: string) => api.GET('/api/v1/webhooks/{id}/deliveries', { params: { path: { id }, query: { limit: 20 } } }).then(unwrap);
export const redeliver = (id: string, deliveryId: string) => api.POST('/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { id, deliveryId } } }).then(unwrap);
