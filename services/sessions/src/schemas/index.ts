import { Type, type Static } from '@sinclair/typebox';
export { problems } from '@strata/service-kit';


const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
/**
 * Text that is stored and shown: no control characters, and no lone surrogate halves, which
 * Postgres refuses in text and jsonb (a 500 after the fact, instead of a 400 up front).
 */
const PlainText = (options: { minLength: number; maxLength: number }) =>
  Type.String({ ...options, pattern: '^[^\\u0000-\\u001f\\u007f\\ud800-\\udfff]*$' });

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 10, maxLength: 1024 }),
    displayName: Type.Optional(PlainText({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const User = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  displayName: Type.String(),
}, { $id: 'User' });

/** Refresh and sign-out read the cookie (or the token); their JSON body is `{}` or nothing. */
export const EmptyBody = Type.Object({}, { additionalProperties: false });

export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const AccessToken = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'seconds' }),
}, { $id: 'AccessToken' });

export const SessionInfo = Type.Object({
  id: Type.String(),
  device: Type.String(),
  address: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  current: Type.Boolean(),
}, { $id: 'Session' });
export const SessionList = Type.Object({ items: Type.Array(SessionInfo) }, { $id: 'SessionList' });

export const SessionIdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' }) });

export const TokenRequest = Type.Object(
  {
    grant_type: Type.String(),
    client_id: Type.Optional(Type.String({ maxLength: 200 })),
    client_secret: Type.Optional(Type.String({ maxLength: 500 })),
    scope: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type TokenRequest = Static<typeof TokenRequest>;

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  scope: Type.String(),
}, { $id: 'TokenResponse' });

export const Jwks = Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }, { $id: 'Jwks' });


const Password = Type.String({ minLength: 10, maxLength: 1024 });

export const ChangePasswordBody = Type.Object(
  { current: Type.String({ minLength: 1, maxLength: 1024 }), next: Password },
  { additionalProperties: false },
);

export const PasswordResetBody = Type.Object({ email: Email }, { additionalProperties: false });

/** 256 random bits, base64url: 43 characters. */
export const PasswordResetConfirmBody = Type.Object(
  { token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }), password: Password },
  { additionalProperties: false },
);

export const Accepted = Type.Object({ status: Type.Literal('accepted') }, { $id: 'Accepted' });

export const UpdateMeBody = Type.Object(
  { displayName: PlainText({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
// Partner self-service: a user's own partner clients
const PartnerScope = Type.Union(['files:read', 'files:write'].map((s) => Type.Literal(s)));
const PartnerScopes = Type.Array(PartnerScope, { minItems: 1, maxItems: 2, uniqueItems: true });
export const PartnerClientParams = Type.Object({ clientId: Type.String({ pattern: '^[A-Za-z0-9_-]{3,100}$' }) });
export const CreatePartnerClientBody = Type.Object({ name: PlainText({ minLength: 1, maxLength: 100 }), scopes: PartnerScopes }, { additionalProperties: false });
export const PartnerScopesBody = Type.Object({ scopes: PartnerScopes }, { additionalProperties: false });
export const PartnerClient = Type.Object(
  {
    clientId: Type.String(),
    name: Type.String(),
    scopes: Type.Array(Type.String()),
    plan: Type.String(),
    registeredAt: Type.String({ format: 'date-time' }),
    secretRotatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'PartnerClient' },
);
export const PartnerClientList = Type.Object({ items: Type.Array(PartnerClient) }, { $id: 'PartnerClientList' });
/** A client as registered or rotated: with its secret, shown this once (only its hash is kept). */
export const PartnerClientWithSecret = Type.Object({ client: PartnerClient, clientSecret: Type.String() }, { $id: 'PartnerClientWithSecret' });
