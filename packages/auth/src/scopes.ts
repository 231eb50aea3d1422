/** Scopes an access token may carry. Users get all user scopes; partners only what they were granted. */
export const PARTNER_SCOPES = ['files:read', 'files:write'] as const;
export const USER_SCOPES = ['files:read', 'files:write', 'sessions:manage', 'events:read'] as const;
export type Scope = (typeof USER_SCOPES)[number] | (typeof PARTNER_SCOPES)[number];
