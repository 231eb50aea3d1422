import { createHash } from 'node:crypto';
import { decideAccount } from './domain/account/decide.js';
import { evolveAccount, initialAccountState, normaliseEmail } from './domain/account/account.js';
import { decideClient, evolveClient, initialClientState } from './domain/client/client.js';
import { decideSession } from './domain/session/decide.js';
import { evolveSession, initialSessionState } from './domain/session/session.js';

/** Stream names: one account per normalised e-mail, one stream per session and per partner client. */
export const accountStream = (email: string) =>
  `account-${createHash('sha256').update(normaliseEmail(email)).digest('hex')}`;
export const sessionStream = (sessionId: string) => `session-${sessionId}`;
export const clientStream = (clientId: string) => `client-${clientId}`;

export const accountDecider = { decide: decideAccount, evolve: evolveAccount, initialState: initialAccountState };
export const sessionDecider = { decide: decideSession, evolve: evolveSession, initialState: initialSessionState };
export const clientDecider = { decide: decideClient, evolve: evolveClient, initialState: initialClientState };
