import { SessionEventTypes as T } from '@strata/contracts';
import type { DomainEvent } from '@strata/event-store';

/** Events of a client's stream that are not published (a secret's hash, a scope change are the client's own business). */
export const ClientBookkeeping = {
  PartnerClientSecretRotated: 'PartnerClientSecretRotated',
  PartnerClientScopesChanged: 'PartnerClientScopesChanged',
} as const;
const B = ClientBookkeeping;

/**
 * A partner system that calls Strata with OAuth 2.0 client credentials; one stream per client.
 * `ownerUserId`: the user who registered it in the self-service API (absent for clients an
 * operator registered with the script); only that user may see and change it.
 */
export type PartnerClientRegistered = DomainEvent<
  typeof T.PartnerClientRegistered,
  { clientId: string; name: string; secretHash: string; scopes: string[]; plan: string; ownerUserId?: string; registeredAt: string }
>;
/** A new secret: the previous one stops working at once (tokens it obtained run to their expiry). */
export type PartnerClientSecretRotated = DomainEvent<typeof B.PartnerClientSecretRotated, { clientId: string; secretHash: string; rotatedBy: string; rotatedAt: string }>;
/** The scopes the client may ask for from now on. */
export type PartnerClientScopesChanged = DomainEvent<typeof B.PartnerClientScopesChanged, { clientId: string; scopes: string[]; changedBy: string; changedAt: string }>;
export type ClientEvent = PartnerClientRegistered | PartnerClientSecretRotated | PartnerClientScopesChanged;

export type ClientState =
  | { status: 'none' }
  | { status: 'active'; clientId: string; name: string; secretHash: string; scopes: string[]; plan: string; ownerUserId?: string };

export const initialClientState: ClientState = { status: 'none' };

export function evolveClient(state: ClientState, event: ClientEvent): ClientState {
  switch (event.type) {
    case T.PartnerClientRegistered: {
      const { clientId, name, secretHash, scopes, plan, ownerUserId } = event.data;
      return { status: 'active', clientId, name, secretHash, scopes, plan, ...(ownerUserId !== undefined ? { ownerUserId } : {}) };
    }
    case B.PartnerClientSecretRotated:
      return state.status === 'active' ? { ...state, secretHash: event.data.secretHash } : state;
    case B.PartnerClientScopesChanged:
      return state.status === 'active' ? { ...state, scopes: event.data.scopes } : state;
    default: {
      const never: never = event;
      return never;
    }
  }
}

export type RegisterPartnerClient = {
  type: 'RegisterPartnerClient';
  data: { clientId: string; name: string; secretHash: string; scopes: string[]; plan: string; ownerUserId?: string; now: Date };
};
export type RotatePartnerClientSecret = { type: 'RotatePartnerClientSecret'; data: { secretHash: string; byUserId: string; now: Date } };
export type ChangePartnerClientScopes = { type: 'ChangePartnerClientScopes'; data: { scopes: string[]; byUserId: string; now: Date } };
export type ClientCommand = RegisterPartnerClient | RotatePartnerClientSecret | ChangePartnerClientScopes;

export class ClientExistsError extends Error {
  constructor() {
    super('client id already registered');
    this.name = 'ClientExistsError';
  }
}

/** No such client, or not the caller's: the same answer, so that another user's client ids are not told apart. */
export class ClientNotFoundError extends Error {
  constructor() {
    super('no such partner client');
    this.name = 'ClientNotFoundError';
  }
}

export function decideClient(command: ClientCommand, state: ClientState): ClientEvent[] {
  switch (command.type) {
    case 'RegisterPartnerClient': {
      if (state.status !== 'none') throw new ClientExistsError();
      const { clientId, name, secretHash, scopes, plan, ownerUserId, now } = command.data;
      return [{ type: T.PartnerClientRegistered, data: { clientId, name, secretHash, scopes, plan, ...(ownerUserId !== undefined ? { ownerUserId } : {}), registeredAt: now.toISOString() } }];
    }
    case 'RotatePartnerClientSecret': {
      if (state.status !== 'active' || state.ownerUserId !== command.data.byUserId) throw new ClientNotFoundError();
      const { secretHash, byUserId, now } = command.data;
      return [{ type: B.PartnerClientSecretRotated, data: { clientId: state.clientId, secretHash, rotatedBy: byUserId, rotatedAt: now.toISOString() } }];
    }
    case 'ChangePartnerClientScopes': {
      if (state.status !== 'active' || state.ownerUserId !== command.data.byUserId) throw new ClientNotFoundError();
      const { scopes, byUserId, now } = command.data;
      // the same scopes again change nothing
      if (scopes.length === state.scopes.length && scopes.every((s) => state.scopes.includes(s))) return [];
      return [{ type: B.PartnerClientScopesChanged, data: { clientId: state.clientId, scopes, changedBy: byUserId, changedAt: now.toISOString() } }];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}
