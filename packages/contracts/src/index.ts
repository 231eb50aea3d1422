/**
 * The names that services, Dapr components, deploy manifests and tests must agree on.
 * They are defined here once; `dapr/`, `dapr.yaml` and `deploy/` are checked against this module.
 */

export const AppIds = {
  gateway: 'gateway',
  files: 'files',
  sessions: 'sessions',
  ratelimit: 'ratelimit',
  ui: 'ui',
  insights: 'insights',
  webhooks: 'webhooks',
} as const;
export type AppId = (typeof AppIds)[keyof typeof AppIds];
export const ALL_APP_IDS: readonly AppId[] = Object.values(AppIds);

/** Dapr component names (metadata.name in dapr/components). */
export const Components = {
  pubsub: 'pubsub',
  statestore: 'statestore',
  blobstore: 'blobstore',
  secretstore: 'secretstore',
  /** The language model behind POST /api/v1/ask (insights): Azure OpenAI on AKS, an echo locally. */
  conversation: 'llm',
  /**
   * Outgoing mail (password resets, e-mail confirmations): an output binding, `create` with the
   * body as data and `emailTo`/`subject`/`fileName` metadata. On AKS bindings.smtp; locally
   * bindings.localstorage writing one file per mail under the stack's `mail/` folder.
   */
  mail: 'mail',
} as const;
export type ComponentName = (typeof Components)[keyof typeof Components];

/** Pub/sub topics. Domain topics are added by the issues that own them. */
export const Topics = {
  /** Each service announces itself here on start and then periodically; the gateway listens. */
  serviceHeartbeat: 'platform.service-heartbeat',
  /** Every event of the sessions service (accounts, sessions, partner clients); CloudEvent type = event type. */
  sessionEvents: 'sessions.events',
  /** Every event of the files service. */
  fileEvents: 'files.events',
  /** Every event of the insights service: documents indexed, failed, tags suggested. */
  insightsEvents: 'insights.events',
} as const;
export type Topic = (typeof Topics)[keyof typeof Topics];

/** Secret names in the secret store. */
export const Secrets = {
  /** A random value that proves the secret store wiring in tests. */
  wiringCheck: 'strata-wiring-check',
  /** Postgres through the pooler (PgBouncer in transaction mode on AKS): each app's pool. */
  postgresConnectionString: 'postgres-connection-string',
  /**
   * Postgres past the pooler, the server itself: for what keeps state in a server session (the
   * event relay's advisory lock and LISTEN, the migrations' and scheduled jobs' session locks).
   */
  postgresDirectConnectionString: 'postgres-direct-connection-string',
  redisUrl: 'redis-url',
  blobConnectionString: 'blob-connection-string',
  /** Token signing keys, JSON: { keys: [{ kid, privateJwk, createdAt }] }; the newest signs. */
  tokenSigningKeys: 'token-signing-keys',
} as const;

/**
 * Default local ports, one block per app. Tests and a second local stack shift every port by an
 * offset (see tools/dev), so these are the defaults, not the only values.
 */
export const DefaultPorts = {
  gateway: { app: 8080, internal: 9580, daprHttp: 3500, daprGrpc: 50001, daprInternalGrpc: 50011, metrics: 9091 },
  files: { app: 8081, internal: 9581, daprHttp: 3501, daprGrpc: 50002, daprInternalGrpc: 50012, metrics: 9092 },
  sessions: { app: 8082, internal: 9582, daprHttp: 3502, daprGrpc: 50003, daprInternalGrpc: 50013, metrics: 9093 },
  ratelimit: { app: 8083, internal: 9583, daprHttp: 3503, daprGrpc: 50004, daprInternalGrpc: 50014, metrics: 9094 },
  ui: { app: 8090, internal: 9590, daprHttp: 3504, daprGrpc: 50005, daprInternalGrpc: 50015, metrics: 9095 },
  insights: { app: 8084, internal: 9584, daprHttp: 3505, daprGrpc: 50006, daprInternalGrpc: 50016, metrics: 9096 },
  webhooks: { app: 8085, internal: 9585, daprHttp: 3506, daprGrpc: 50007, daprInternalGrpc: 50017, metrics: 9097 },
} as const satisfies Record<AppId, AppPorts>;

export interface AppPorts {
  /** The app's main listener (PORT): the public entry for the gateway, the Dapr app channel for the others. */
  app: number;
  /**
   * Probes, metrics and operator views (INTERNAL_PORT); the gateway's sidecar talks to this one.
   * 1,500 above the app's port, so stacks 1,000 apart (a second local stack) and replicas 100
   * apart never meet.
   */
  internal: number;
  daprHttp: number;
  daprGrpc: number;
  daprInternalGrpc: number;
  metrics: number;
}

export const AZURITE_BLOB_PORT = 10000;

/** Blob container that holds file contents (one immutable blob per version). */
export const BLOB_CONTAINER = 'strata-files';

/**
 * Headers the gateway sets on forwarded calls (and strips from clients): services trust them only
 * when Dapr says the caller is the gateway (`dapr-caller-app-id`).
 */
export const CLIENT_ADDRESS_HEADER = 'x-strata-client-address';
export const CLIENT_PROTO_HEADER = 'x-strata-client-proto';

/**
 * The public surface, one row per path the gateway serves under `/api/v1` and `/.well-known`:
 * who owns it, whether it needs a token, how its GET answers are cached, and which rate-limit
 * class its POSTs have. A request is matched on its canonical path; the most specific row wins
 * (a row matches its path and everything below it; `*` stands for one segment). A path no row
 * matches is a 404.
 */
export interface PublicRoute {
  path: string;
  /** The app that answers; `gateway` for the gateway's own routes. */
  appId: AppId;
  /** `none`: anyone may call (sign-in, keys); `token`: a valid access token first. */
  auth: 'none' | 'token';
  /** GET answers kept per user, or per session when they differ between a user's sessions. */
  cache?: 'user' | 'session';
  /** The rate-limit class of POSTs to exactly this path (others are `api`). */
  rateClass?: RateLimitRouteClass;
}

export const PublicRoutes: readonly PublicRoute[] = [
  { path: '/api/v1/auth', appId: 'sessions', auth: 'none' },
  { path: '/api/v1/auth/login', appId: 'sessions', auth: 'none', rateClass: 'auth.login' },
  { path: '/api/v1/auth/register', appId: 'sessions', auth: 'none', rateClass: 'auth.register' },
  { path: '/api/v1/auth/token', appId: 'sessions', auth: 'none', rateClass: 'auth.token' },
  { path: '/api/v1/auth/refresh', appId: 'sessions', auth: 'none', rateClass: 'auth.token' },
  // a reset names an e-mail as registration does: counted per address named and per client address
  { path: '/api/v1/auth/password-reset', appId: 'sessions', auth: 'none', rateClass: 'auth.register' },
  // the token is 256 random bits; the sign-in class still holds a guesser to its per-address budget
  { path: '/api/v1/auth/password-reset/confirm', appId: 'sessions', auth: 'none', rateClass: 'auth.login' },
  { path: '/.well-known/jwks.json', appId: 'sessions', auth: 'none' },
  { path: '/api/v1/me', appId: 'sessions', auth: 'token', cache: 'user' },
  // a guess at the current password costs what a sign-in costs (sessions also counts it per account)
  { path: '/api/v1/me/password', appId: 'sessions', auth: 'token', rateClass: 'auth.login' },
  // the account's export is built from the drive, by files; its progress is live, so never cached
  { path: '/api/v1/me/exports', appId: 'files', auth: 'token' },
  // each answer marks which session is the caller's own
  { path: '/api/v1/sessions', appId: 'sessions', auth: 'token', cache: 'session' },
  // partner self-service: a user's partner clients; a secret in an answer, so never cached
  { path: '/api/v1/partners', appId: 'sessions', auth: 'token' },
  { path: '/api/v1/files', appId: 'files', auth: 'token', cache: 'user' },
  { path: '/api/v1/files/*/content', appId: 'files', auth: 'token' },
  { path: '/api/v1/files/*/versions/*/content', appId: 'files', auth: 'token' },
  // what insights read in a file; live (indexing → indexed), so never cached
  { path: '/api/v1/files/*/insights', appId: 'insights', auth: 'token' },
  { path: '/api/v1/files/*/preview', appId: 'insights', auth: 'token' },
  { path: '/api/v1/search', appId: 'insights', auth: 'token' },
  { path: '/api/v1/ask', appId: 'insights', auth: 'token' },
  { path: '/api/v1/uploads', appId: 'files', auth: 'token' },
  { path: '/api/v1/folders', appId: 'files', auth: 'token', cache: 'user' },
  { path: '/api/v1/recent', appId: 'files', auth: 'token', cache: 'user' },
  // POSTs only: one action on many items, and many items as one streamed ZIP (never cached)
  { path: '/api/v1/bulk', appId: 'files', auth: 'token' },
  { path: '/api/v1/zip', appId: 'files', auth: 'token' },
  // a link of POST /zip/links, followed by a browser's navigation, which carries no token: the link is the credential, once
  { path: '/api/v1/zip/links/*', appId: 'files', auth: 'none' },
  { path: '/api/v1/starred', appId: 'files', auth: 'token', cache: 'user' },
  { path: '/api/v1/trash', appId: 'files', auth: 'token', cache: 'user' },
  { path: '/api/v1/usage', appId: 'files', auth: 'token', cache: 'user' },
  { path: '/api/v1/account', appId: 'files', auth: 'token', cache: 'user' },
  { path: '/api/v1/activity', appId: 'files', auth: 'token', cache: 'user' },
  // the grants a user gave partner clients, over all their files
  { path: '/api/v1/grants', appId: 'files', auth: 'token', cache: 'user' },
  // shares with other users and share links: never cached (a recipient's answers change with the owner's writes)
  { path: '/api/v1/shares', appId: 'files', auth: 'token' },
  { path: '/api/v1/shared-with-me', appId: 'files', auth: 'token' },
  { path: '/api/v1/links', appId: 'files', auth: 'token' },
  // a share link's public side: the link's token is the credential (and, with a password, the unlock's link token)
  { path: '/api/v1/public/links/*', appId: 'files', auth: 'none' },
  { path: '/api/v1/events', appId: 'gateway', auth: 'token' },
  // signed webhooks: endpoints, their delivery log and redelivery; live (a delivery's status moves), never cached
  { path: '/api/v1/webhooks', appId: 'webhooks', auth: 'token' },
  { path: '/api/v1/openapi.json', appId: 'gateway', auth: 'none' },
];

/** The row a canonical path falls under, or undefined (a 404). */
export function publicRouteOf(path: string): PublicRoute | undefined {
  const segments = path.split('/');
  let best: { route: PublicRoute; length: number } | undefined;
  for (const route of PublicRoutes) {
    const pattern = route.path.split('/');
    if (pattern.length > segments.length) continue;
    if (!pattern.every((p, i) => p === '*' ? segments[i] !== '' : p === segments[i])) continue;
    if (!best || pattern.length > best.length) best = { route, length: pattern.length };
  }
  return best?.route;
}

/**
 * Rate limiting: the route classes the gateway sends to `ratelimit` (POST /v1/decide), which
 * chooses a policy by class, caller kind and plan. A class no rule names falls back to the
 * caller's default policy.
 */
export const RateLimitRouteClasses = {
  api: 'api',
  login: 'auth.login',
  register: 'auth.register',
  token: 'auth.token',
} as const;
export type RateLimitRouteClass = (typeof RateLimitRouteClasses)[keyof typeof RateLimitRouteClasses];

/** Who a rate limit counts: a user id, a partner client id, or the address of an anonymous caller. */
export interface RateLimitSubject {
  kind: 'user' | 'partner' | 'anonymous';
  id: string;
  plan?: string;
  address?: string;
  account?: string;
}

/** The body of POST /v1/decide on `ratelimit`. */
export interface RateLimitDecideRequest {
  policy?: string;
  routeClass: string;
  subject: RateLimitSubject;
  /** Tokens to take at once (a lease). */
  cost?: number;
  /** A lease's lifetime: its tokens may be spent until this many ms after the decision. */
  holdMs?: number;
}

/** The answer of POST /v1/decide (200 whether allowed or not). */
export interface RateLimitDecision {
  allowed: boolean;
  policy: string;
  limit: number;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  cost: number;
  checks: { name: string; by: 'subject' | 'address' | 'account'; limit: number; windowSeconds: number; allowed: boolean; remaining: number; resetMs: number; retryAfterMs: number }[];
  headers: { 'RateLimit-Policy': string; RateLimit: string; 'Retry-After'?: string };
}

/** A secret-store name the apps may read (Secrets). */
export type SecretName = (typeof Secrets)[keyof typeof Secrets];

/** A call an app makes to another through Dapr service invocation: a method path and its verbs. */
export interface InvokedOperation {
  /** The method as Dapr's accessControl names it (`/.well-known/jwks.json`, `/api/v1/**`). */
  name: string;
  httpVerb: readonly string[];
}

/**
 * What one app does with Dapr that its Configuration must allow, and nothing more: the secrets it
 * reads from the secret store at run time, and the apps it invokes (`'*'`: every method, as the
 * gateway forwards the public API; otherwise the operations it calls).
 */
export interface AppManifest {
  secrets: readonly SecretName[];
  /**
   * Secrets the app reads only on a local stack (Azurite's development key), never on AKS: the
   * secret reader lets them through, deploy/'s secret scopes never name them.
   */
  localSecrets?: readonly SecretName[];
  invokes: Partial<Record<AppId, '*' | readonly InvokedOperation[]>>;
}

const JWKS: readonly InvokedOperation[] = [{ name: '/.well-known/jwks.json', httpVerb: ['GET'] }];

/**
 * What files asks of sessions for sharing: the account of an e-mail (a share's recipient), and
 * a share link's password hashed and checked the way account passwords are. Only files may call.
 */
export const SESSIONS_USER_BY_EMAIL_PATH = '/internal/v1/users/by-email';
export const SESSIONS_PASSWORD_HASH_PATH = '/internal/v1/passwords/hash';
export const SESSIONS_PASSWORD_VERIFY_PATH = '/internal/v1/passwords/verify';
/**
 * Who may see a file's or folder's events besides its owner (the users it is shared with now),
 * for the gateway's live stream: files answers the gateway only.
 */
export const FILES_AUDIENCE_PATH = '/internal/v1/audience';

/**
 * The bytes of one file version, for the insights service only (files refuses every other
 * caller): `/internal/v1/files/{id}/versions/{version}/content`. No public route leads here.
 */
export const INSIGHTS_CONTENT_PATH = (fileId: string, version: number) =>
  `/internal/v1/files/${encodeURIComponent(fileId)}/versions/${version}/content`;
/**
 * The operation as accessControl names it. Dapr's ACL matches `*` only as a path's last segment
 * (a `*` in the middle matches nothing: its trie skips it), so the rule covers every path below
 * `/internal/v1/files/`: each route there refuses any caller but the one it is for.
 */
export const INSIGHTS_CONTENT_OPERATION = '/internal/v1/files/**';

/**
 * Each app's manifest, read at run time: an app reads only the secrets named here (service-kit's
 * secret reader refuses any other) and its sidecar's client invokes only the apps named here.
 * deploy/dapr/config/<app>.yaml (secret scopes, and the callees' accessControl) must allow exactly
 * this, which deploy/test/scopes.unit.spec.ts checks, and the production-like profile proves.
 */
export const AppManifests: Record<AppId, AppManifest> = {
  [AppIds.gateway]: {
    // the response cache, the live-event fan-out and revocations
    secrets: [Secrets.redisUrl],
    // the public API, the UI, rate-limit decisions, health and OpenAPI of each upstream
    invokes: { [AppIds.files]: '*', [AppIds.sessions]: '*', [AppIds.ratelimit]: '*', [AppIds.ui]: '*', [AppIds.insights]: '*', [AppIds.webhooks]: '*' },
  },
  [AppIds.files]: {
    // no blob credential on AKS: files reaches Blob Storage with a token (BLOB_ACCOUNT_URL) and signs
    // download SAS URLs with a user delegation key; locally Azurite's development account (its key
    // signs the SAS URLs) comes from the secret store
    secrets: [Secrets.postgresConnectionString, Secrets.postgresDirectConnectionString, Secrets.redisUrl],
    localSecrets: [Secrets.blobConnectionString],
    // the public keys that verify access tokens; a share's recipient by e-mail; link passwords
    invokes: {
      [AppIds.sessions]: [
        ...JWKS,
        { name: SESSIONS_USER_BY_EMAIL_PATH, httpVerb: ['POST'] },
        { name: SESSIONS_PASSWORD_HASH_PATH, httpVerb: ['POST'] },
        { name: SESSIONS_PASSWORD_VERIFY_PATH, httpVerb: ['POST'] },
      ],
    },
  },
  [AppIds.sessions]: {
    secrets: [Secrets.postgresConnectionString, Secrets.postgresDirectConnectionString, Secrets.redisUrl, Secrets.tokenSigningKeys],
    invokes: {},
  },
  [AppIds.ratelimit]: {
    secrets: [Secrets.redisUrl],
    invokes: {},
  },
  [AppIds.ui]: {
    secrets: [],
    invokes: {},
  },
  [AppIds.insights]: {
    // its index, and the revocation list every token check reads
    secrets: [Secrets.postgresConnectionString, Secrets.postgresDirectConnectionString, Secrets.redisUrl],
    // a file version's bytes, which files keeps (insights holds no Blob credential); the keys that verify tokens
    invokes: { [AppIds.files]: [{ name: INSIGHTS_CONTENT_OPERATION, httpVerb: ['GET'] }], [AppIds.sessions]: JWKS },
  },
  [AppIds.webhooks]: {
    // endpoints and deliveries, and the revocation list every token check reads
    secrets: [Secrets.postgresConnectionString, Secrets.postgresDirectConnectionString, Secrets.redisUrl],
    // the keys that verify tokens; deliveries leave through its own egress, not through Dapr
    invokes: { [AppIds.sessions]: JWKS },
  },
};

/** The manifest of an app-id, or undefined for an app Strata does not know (a test's, a partner's). */
export function manifestOf(appId: string): AppManifest | undefined {
  return Object.hasOwn(AppManifests, appId) ? AppManifests[appId as AppId] : undefined;
}

// Published events: names (also importable alone, as `@strata/contracts/event-types`), schemas, reading.
export * from './events/names.js';
export * from './events/files.js';
export * from './events/sessions.js';
export * from './events/insights.js';
export { type DeliveredCloudEvent, type EventSchemas, type PublishedOf, readPublished } from './events/published.js';
