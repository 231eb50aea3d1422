export {
  TOKEN_ALG,
  currentKey,
  importPrivateKey,
  newSigningKey,
  parseKeySet,
  publicJwks,
  type PublicJwks,
  type SigningKeySet,
  type StoredSigningKey,
} from './keys.js';
export {
  ACCESS_TOKEN_TYP,
  TokenError,
  TokenSigner,
  TokenVerifier,
  type AccessClaims,
  type SubjectKind,
  type TokenSettings,
  type VerifierOptions,
} from './tokens.js';
export { RevocationList } from './revocations.js';
export { ScheduledValue } from './scheduled.js';
export { authPlugin, bearerToken, isBearer } from './plugin.js';
export { USER_SCOPES, PARTNER_SCOPES, type Scope } from './scopes.js';
export { AuthConfigSchema, describingAuth, tokenAuth, type AuthConfig } from './setup.js';
