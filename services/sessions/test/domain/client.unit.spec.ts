import { describe, expect, it } from 'vitest';
import { ClientExistsError, ClientNotFoundError, type ClientCommand, type ClientEvent, decideClient, evolveClient, initialClientState } from '../../src/domain/client/client.js';

const now = new Date('2026-12-02T06:00:00Z');
const given = (events: ClientEvent[]) => events.reduce(evolveClient, initialClientState);
const registered: ClientEvent = {
  type: 'PartnerClientRegistered',
  data: { clientId: 'acme-1', name: 'Acme', secretHash: 'h1', scopes: ['files:read'], plan: 'partner', ownerUserId: 'u1', registeredAt: now.toISOString() },
};
const byScript: ClientEvent = { type: 'PartnerClientRegistered', data: { clientId: 'ops-1', name: 'Ops', secretHash: 'h1', scopes: ['files:read'], plan: 'partner', registeredAt: now.toISOString() } };
const when = (state: ReturnType<typeof given>, command: ClientCommand) => () => decideClient(command, state);

describe('partner clients (given, when, then)', () => {
  it('a user registers a client they own', () => {
    const events = decideClient({ type: 'RegisterPartnerClient', data: { clientId: 'acme-1', name: 'Acme', secretHash: 'h1', scopes: ['files:read'], plan: 'partner', ownerUserId: 'u1', now } }, initialClientState);
    expect(events).toEqual([registered]);
    expect(given(events)).toMatchObject({ status: 'active', ownerUserId: 'u1' });
    expect(when(given(events), { type: 'RegisterPartnerClient', data: { clientId: 'acme-1', name: 'Again', secretHash: 'h', scopes: ['files:read'], plan: 'partner', now } })).toThrow(ClientExistsError);
  });

  it('its owner rotates its secret: the new hash is the one checked', () => {
    const events = decideClient({ type: 'RotatePartnerClientSecret', data: { secretHash: 'h2', byUserId: 'u1', now } }, given([registered]));
    expect(events).toEqual([{ type: 'PartnerClientSecretRotated', data: { clientId: 'acme-1', secretHash: 'h2', rotatedBy: 'u1', rotatedAt: now.toISOString() } }]);
    expect(given([registered, ...events])).toMatchObject({ secretHash: 'h2' });
  });

  it('its owner sets its scopes; the same scopes again change nothing', () => {
    const events = decideClient({ type: 'ChangePartnerClientScopes', data: { scopes: ['files:read', 'files:write'], byUserId: 'u1', now } }, given([registered]));
    expect(given([registered, ...events])).toMatchObject({ scopes: ['files:read', 'files:write'] });
    expect(decideClient({ type: 'ChangePartnerClientScopes', data: { scopes: ['files:read'], byUserId: 'u1', now } }, given([registered]))).toEqual([]);
  });

  it('another user, or a client nobody registered, or one an operator registered: not found', () => {
    for (const state of [given([registered]), initialClientState, given([byScript])]) {
      expect(when(state, { type: 'RotatePartnerClientSecret', data: { secretHash: 'h2', byUserId: 'u2', now } })).toThrow(ClientNotFoundError);
      expect(when(state, { type: 'ChangePartnerClientScopes', data: { scopes: ['files:write'], byUserId: 'u2', now } })).toThrow(ClientNotFoundError);
    }
  });
});
