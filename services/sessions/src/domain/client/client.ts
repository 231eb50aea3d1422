import { SessionEventTypes as T } from '@strata/contracts';
import type { DomainEvent } from '@strata/event-store';

/** A partner system that calls Strata with OAuth 2.0 client credentials; one stream per client. */
export type PartnerClientRegistered = DomainEvent<
  typeof T.PartnerClientRegistered,
  { clientId: string; name: string; secretHash: string; scopes: string[]; plan: string; ownerUserId?: string; registeredAt: string }
>;
export type ClientEvent = PartnerClientRegistered;

export type ClientState =
  | { status: 'none' }
  | { status: 'active'; clientId: string; name: string; secretHash: string; scopes: string[]; plan: string };

export const initialClientState: ClientState = { status: 'none' };

export function evolveClient(state: ClientState, event: ClientEvent): ClientState {
  switch (event.type) {
    case T.PartnerClientRegistered: {
      const { clientId, name, secretHash, scopes, plan } = event.data;
      return { status: 'active', clientId, name, secretHash, scopes, plan };
    }
    default: {
      const never: never = event.type;
      return never;
    }
  }
}

export type RegisterPartnerClient = {
  type: 'RegisterPartnerClient';
  data: { clientId: string; name: string; secretHash: string; scopes: string[]; plan: string; now: Date };
};

export class ClientExistsError extends Error {
  constructor() {
    super('client id already registered');
    this.name = 'ClientExistsError';
  }
}

export function decideClient(command: RegisterPartnerClient, state: ClientState): ClientEvent[] {
  if (state.status !== 'none') throw new ClientExistsError();
  const { clientId, name, secretHash, scopes, plan, now } = command.data;
  return [{ type: T.PartnerClientRegistered, data: { clientId, name, secretHash, scopes, plan, registeredAt: now.toISOString() } }];
}
