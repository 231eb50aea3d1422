/**
 * A local stand-in for Microsoft Entra ID's token service, as workload identity uses it on AKS.
 *
 * On AKS the webhook gives a pod AZURE_AUTHORITY_HOST=https://login.microsoftonline.com/,
 * AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE (a service-account token the
 * kubelet projects); @azure/identity and Dapr's Go azidentity post that token as a client assertion
 * to the tenant's token endpoint and get an access token for the resource. Both clients keep the
 * real host name here too: Dapr's azidentity has no way to turn off instance discovery (MSAL Go
 * asks login.microsoftonline.com to validate any other authority host), so a local authority host
 * cannot work for it. Instead the stand-in is an HTTPS proxy (HTTPS_PROXY) that tunnels only
 * login.microsoftonline.com, to a TLS server of its own with a certificate from the stack's CA,
 * and refuses every other host: there is no network here.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths.js';
import { type Part, type PartContext, partOf, spawnTracked, waitUntil } from './part.js';
import type { KeyPair } from './tls.js';

export const ENTRA_HOST = 'login.microsoftonline.com';
/** What the workload identity webhook sets on AKS; the same value here. */
export const AZURE_AUTHORITY_HOST = `https://${ENTRA_HOST}/`;
/** The audience of a federated service-account token (deploy/infra: the federated credentials). */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ACCESS_TOKEN_SECONDS = 3600;

/** One federated credential: the identity (its client id) trusts this service account's tokens. */
export interface FederatedIdentity {
  clientId: string;
  /** `system:serviceaccount:<namespace>:<name>`, as in deploy/infra's federatedIdentityCredentials. */
  subject: string;
}

export interface EntraDirectory {
  tenantId: string;
  /** The cluster's OIDC issuer the federated credentials name (AKS: oidcIssuerProfile.issuerURL). */
  serviceAccountIssuer: string;
  identities: FederatedIdentity[];
}

/** What the stand-in process reads at start (written by the launcher as JSON). */
export interface EntraStandInConfig extends EntraDirectory {
  port: number;
  /** The RSA key that signs service-account tokens and access tokens. */
  signingKeyFile: string;
  /** The certificate for login.microsoftonline.com, from the stack's CA. */
  tls: KeyPair;
}

export function serviceAccountSubject(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

// --- compact JWTs (RS256), enough for both sides of the exchange ---

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function keyId(key: KeyObject): string {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url').slice(0, 16);
}

export function signJwt(payload: Record<string, unknown>, key: KeyObject): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: keyId(key) }));
  const body = b64url(JSON.stringify(payload));
  const signature = sign('RSA-SHA256', Buffer.from(`${head}.${body}`), key);
  return `${head}.${body}.${b64url(signature)}`;
}

/** The payload of a JWT signed by `key`, or undefined when it is malformed or signed otherwise. */
export function verifiedPayload(token: string, key: KeyObject): Record<string, unknown> | undefined {
  const [head, body, signature, ...rest] = token.split('.');
  if (!head || !body || !signature || rest.length > 0) return undefined;
  try {
    const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'RS256') return undefined;
    if (!verify('RSA-SHA256', Buffer.from(`${head}.${body}`), createPublicKey(key), Buffer.from(signature, 'base64url'))) return undefined;
    const payload: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function loadSigningKey(file: string): KeyObject {
  return createPrivateKey(readFileSync(file));
}

/**
 * The token the kubelet would project into the pod for workload identity: issued by the cluster's
 * OIDC issuer to the service account, for Entra ID's token exchange.
 */
export function serviceAccountToken(
  key: KeyObject,
  claims: { issuer: string; namespace: string; serviceAccount: string; nowSeconds: number; lifetimeSeconds: number },
): string {
  return signJwt(
    {
      iss: claims.issuer,
      sub: serviceAccountSubject(claims.namespace, claims.serviceAccount),
      aud: [TOKEN_EXCHANGE_AUDIENCE],
      iat: claims.nowSeconds,
      nbf: claims.nowSeconds,
      exp: claims.nowSeconds + claims.lifetimeSeconds,
      'kubernetes.io': { namespace: claims.namespace, serviceaccount: { name: claims.serviceAccount } },
    },
    key,
  );
}

/** A stable object id for an identity, shaped as Entra's (a UUID). */
function objectIdOf(clientId: string): string {
  const h = createHash('sha256').update(`oid:${clientId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * An access token as Entra ID issues it to an app for a resource such as Azure Storage: a v1 token
 * (issuer sts.windows.net/<tenant>/, the resource as audience), which is what Azurite's
 * `--oauth basic` accepts.
 */
export function accessToken(key: KeyObject, claims: { tenantId: string; clientId: string; resource: string; nowSeconds: number }): string {
  const oid = objectIdOf(claims.clientId);
  return signJwt(
    {
      aud: claims.resource,
      iss: `https://sts.windows.net/${claims.tenantId}/`,
      iat: claims.nowSeconds,
      nbf: claims.nowSeconds,
      exp: claims.nowSeconds + ACCESS_TOKEN_SECONDS,
      appid: claims.clientId,
      appidacr: '2',
      idtyp: 'app',
      oid,
      sub: oid,
      tid: claims.tenantId,
      ver: '1.0',
    },
    key,
  );
}

// --- the token endpoint's decision, pure: what Entra ID answers to one token request ---

export interface TokenRequest {
  tenant: string;
  form: Record<string, string | undefined>;
  nowSeconds: number;
}

export type TokenAnswer =
  | { kind: 'issued'; clientId: string; resource: string; subject: string }
  | { kind: 'refused'; status: 400 | 401; error: string; code: number; description: string };

const refused = (status: 400 | 401, error: string, code: number, description: string): TokenAnswer =>
  ({ kind: 'refused', status, error, code, description: `AADSTS${code}: ${description}` });

/**
 * Decides a client-credentials request with a federated client assertion the way Entra ID does
 * for workload identity: the tenant exists, the client id names an identity, and the assertion is
 * a valid token of the trusted issuer, for the exchange audience, of a subject the identity's
 * federated credential names. `verify` checks the assertion's signature.
 */
export function decideTokenRequest(
  directory: EntraDirectory,
  request: TokenRequest,
  verifyAssertion: (token: string) => Record<string, unknown> | undefined,
): TokenAnswer {
  const { form } = request;
  if (request.tenant !== directory.tenantId) return refused(400, 'invalid_request', 90002, `Tenant '${request.tenant}' not found.`);
  if (form.grant_type !== 'client_credentials') return refused(400, 'unsupported_grant_type', 70003, `The grant type '${form.grant_type ?? ''}' is not supported here.`);
  if (form.client_assertion_type !== JWT_BEARER || !form.client_assertion) {
    return refused(400, 'invalid_request', 900144, "The request body must contain 'client_assertion' of type jwt-bearer (a federated token).");
  }
  const identity = directory.identities.find((i) => i.clientId === form.client_id);
  if (!identity) return refused(400, 'unauthorized_client', 700016, `Application with identifier '${form.client_id ?? ''}' was not found in the directory.`);
  const scope = (form.scope ?? '').split(' ').find((s) => s.endsWith('/.default'));
  if (!scope) return refused(400, 'invalid_scope', 1002012, `The provided value for scope '${form.scope ?? ''}' is not valid: client credentials need <resource>/.default.`);
  const claims = verifyAssertion(form.client_assertion);
  if (!claims) return refused(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
  const exp = typeof claims.exp === 'number' ? claims.exp : 0;
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : 0;
  if (exp <= request.nowSeconds || nbf > request.nowSeconds) return refused(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
  if (claims.iss !== directory.serviceAccountIssuer) {
    return refused(400, 'invalid_client', 700211, `No matching federated identity record found for presented assertion issuer '${String(claims.iss)}'.`);
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.sub !== identity.subject || !audiences.includes(TOKEN_EXCHANGE_AUDIENCE)) {
    return refused(400, 'invalid_client', 70021, `No matching federated identity record found for presented assertion. Assertion subject '${String(claims.sub)}'.`);
  }
  return { kind: 'issued', clientId: identity.clientId, resource: scope.slice(0, -'/.default'.length), subject: identity.subject };
}

// --- the server ---

/** The tenant's OpenID configuration, as MSAL (JS and Go) reads it before the token request. */
export function openIdConfiguration(tenant: string): Record<string, unknown> {
  const base = `https://${ENTRA_HOST}/${tenant}`;
  return {
    issuer: `${base}/v2.0`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    token_endpoint: `${base}/oauth2/v2.0/token`,
    jwks_uri: `https://${ENTRA_HOST}/${tenant}/discovery/v2.0/keys`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
  };
}

/**
 * Instance discovery (`/common/discovery/instance`), which MSAL asks to learn an authority's
 * aliases: Entra ID knows its own host and refuses others (AADSTS50049).
 */
export function instanceDiscovery(authorizationEndpoint: string | null): { status: number; body: Record<string, unknown> } {
  let url: URL | undefined;
  try {
    url = authorizationEndpoint ? new URL(authorizationEndpoint) : undefined;
  } catch {
    url = undefined;
  }
  const tenant = url?.pathname.split('/').filter(Boolean)[0];
  if (!url || url.host !== ENTRA_HOST || !tenant) {
    return { status: 400, body: { error: 'invalid_instance', error_description: 'AADSTS50049: Unknown or invalid instance.', error_codes: [50049] } };
  }
  return {
    status: 200,
    body: {
      tenant_discovery_endpoint: `https://${ENTRA_HOST}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: ENTRA_HOST, preferred_cache: 'login.windows.net', aliases: [ENTRA_HOST, 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'] }],
    },
  };
}

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('token request body too large');
    chunks.push(chunk);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * The stand-in: an HTTP proxy whose only destination is Entra ID's host, served in-process. Returns
 * the proxy server (not listening yet) and logs each answer through `log`.
 */
export function createEntraStandIn(config: EntraDirectory & { tls: KeyPair; signingKey: KeyObject }, log: (line: string) => void = () => undefined) {
  const publicJwk = { ...createPublicKey(config.signingKey).export({ format: 'jwk' }), kid: keyId(config.signingKey), use: 'sig', alg: 'RS256' };
  const entra = createTlsServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `https://${ENTRA_HOST}`);
      const [tenant, ...rest] = url.pathname.split('/').filter(Boolean);
      const path = rest.join('/');
      if (req.method === 'GET' && tenant && path === 'v2.0/.well-known/openid-configuration') return json(res, 200, openIdConfiguration(tenant));
      if (req.method === 'GET' && tenant && path === 'discovery/v2.0/keys') return json(res, 200, { keys: [publicJwk] });
      if (req.method === 'GET' && tenant === 'common' && path === 'discovery/instance') {
        const answer = instanceDiscovery(url.searchParams.get('authorization_endpoint'));
        return json(res, answer.status, answer.body);
      }
      if (req.method === 'POST' && tenant && path === 'oauth2/v2.0/token') {
        const nowSeconds = Math.floor(Date.now() / 1000);
        let form: Record<string, string>;
        try {
          form = await readForm(req);
        } catch {
          return json(res, 413, { error: 'invalid_request', error_description: 'AADSTS90004: request too large' });
        }
        const answer = decideTokenRequest(config, { tenant, form, nowSeconds }, (t) => verifiedPayload(t, config.signingKey));
        if (answer.kind === 'refused') {
          log(`refused a token to client ${form.client_id ?? '(none)'}: ${answer.description}`);
          return json(res, answer.status, {
            error: answer.error,
            error_description: answer.description,
            error_codes: [answer.code],
            timestamp: new Date().toISOString(),
          });
        }
        log(`issued a token for ${answer.resource} to client ${answer.clientId} (${answer.subject})`);
        return json(res, 200, {
          token_type: 'Bearer',
          expires_in: ACCESS_TOKEN_SECONDS - 1,
          ext_expires_in: ACCESS_TOKEN_SECONDS - 1,
          access_token: accessToken(config.signingKey, { tenantId: config.tenantId, clientId: answer.clientId, resource: answer.resource, nowSeconds }),
        });
      }
      log(`no such endpoint: ${req.method} ${url.pathname}`);
      return json(res, 404, { error: 'not_found', error_description: `the stand-in does not serve ${req.method} ${url.pathname}` });
    })().catch(() => {
      if (!res.headersSent) json(res, 500, { error: 'server_error' });
    });
  });

  const proxy = createServer((req, res) => {
    // a direct request (not a proxy one) is the launcher asking whether the stand-in runs
    if (req.url === '/healthz') return json(res, 200, { status: 'ok' });
    res.writeHead(403, { 'content-type': 'text/plain' }).end(`no network here: this proxy only reaches ${ENTRA_HOST}:443\n`);
  });
  proxy.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (req.url !== `${ENTRA_HOST}:443`) {
      log(`refused a tunnel to ${req.url ?? ''}`);
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\nno network here: this proxy only reaches ${ENTRA_HOST}:443\n`);
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    entra.emit('connection', socket);
  });
  proxy.on('close', () => entra.close());
  return proxy;
}

/** The stand-in's process (bin/entra-stand-in.mjs): listens on the configured port until SIGTERM. */
export async function serve(configFile: string): Promise<void> {
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as EntraStandInConfig;
  const server = createEntraStandIn({ ...config, signingKey: loadSigningKey(config.signingKeyFile) }, (line) => process.stdout.write(`${line}\n`));
  await new Promise<void>((resolve) => server.listen(config.port, '127.0.0.1', resolve));
  process.stdout.write(`Entra ID stand-in for tenant ${config.tenantId} on 127.0.0.1:${config.port} (an HTTPS proxy to ${ENTRA_HOST} only)\n`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// --- the launcher's side: start the stand-in, hand out workload identities ---

export interface EntraStandIn extends Part {
  tenantId: string;
  /** The proxy the clients are given (HTTPS_PROXY). */
  proxyUrl: string;
}

/** Starts the stand-in as a process of its own and waits until it answers. */
export async function startEntraStandIn(ctx: PartContext, config: EntraStandInConfig & { dir: string }): Promise<EntraStandIn> {
  const { dir, ...standIn } = config;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'entra.json');
  writeFileSync(file, JSON.stringify(standIn, null, 2), { mode: 0o600 });
  const proc = spawnTracked(ctx, {
    name: 'entra',
    command: process.execPath,
    args: [join(REPO_ROOT, 'tools', 'dev', 'bin', 'entra-stand-in.mjs'), file],
    cwd: REPO_ROOT,
  });
  const part = partOf('Entra ID stand-in', [proc]);
  try {
    await waitUntil(
      `the Entra ID stand-in on ${config.port}`,
      async () => (await fetch(`http://127.0.0.1:${config.port}/healthz`, { signal: AbortSignal.timeout(1_000) })).status === 200,
      { timeoutMs: 20_000, watch: [proc] },
    );
  } catch (error) {
    await part.stop();
    throw error;
  }
  return { ...part, tenantId: config.tenantId, proxyUrl: `http://127.0.0.1:${config.port}` };
}

/**
 * Writes the service-account token the kubelet would project for `serviceAccount` (valid a day:
 * each start writes a new one) and returns the environment the workload identity webhook gives a
 * pod, plus the proxy that leads to the stand-in. Loopback traffic (sidecars, Azurite) bypasses it.
 */
export function workloadIdentity(
  standIn: Pick<EntraStandIn, 'tenantId' | 'proxyUrl'>,
  options: { signingKey: KeyObject; issuer: string; namespace: string; serviceAccount: string; clientId: string; tokenFile: string },
): Record<string, string> {
  const token = serviceAccountToken(options.signingKey, {
    issuer: options.issuer,
    namespace: options.namespace,
    serviceAccount: options.serviceAccount,
    nowSeconds: Math.floor(Date.now() / 1000),
    lifetimeSeconds: 24 * 3600,
  });
  writeFileSync(options.tokenFile, token, { mode: 0o600 });
  return {
    AZURE_AUTHORITY_HOST,
    AZURE_CLIENT_ID: options.clientId,
    AZURE_TENANT_ID: standIn.tenantId,
    AZURE_FEDERATED_TOKEN_FILE: options.tokenFile,
    HTTPS_PROXY: standIn.proxyUrl,
    NO_PROXY: '127.0.0.1,localhost',
  };
}
