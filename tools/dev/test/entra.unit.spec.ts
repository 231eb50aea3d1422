/**
 * The Entra ID stand-in's token endpoint decides as Entra ID does for workload identity: given a
 * directory (tenant, trusted cluster issuer, federated credentials), when a client-credentials
 * request with a federated assertion comes, then a token for the resource, or Entra's refusal.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type EntraDirectory,
  TOKEN_EXCHANGE_AUDIENCE,
  accessToken,
  decideTokenRequest,
  instanceDiscovery,
  openIdConfiguration,
  serviceAccountToken,
  signJwt,
  verifiedPayload,
} from '../src/infra/entra.js';

const { privateKey: key } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const NOW = 1_800_000_000;
const ISSUER = 'https://oidc.strata.localhost/cluster/';
const FILES_ID = '11111111-1111-4111-8111-111111111111';
const directory: EntraDirectory = {
  tenantId: '22222222-2222-4222-8222-222222222222',
  serviceAccountIssuer: ISSUER,
  identities: [{ clientId: FILES_ID, subject: 'system:serviceaccount:strata:files' }],
};
const assertionOf = (claims: { issuer?: string; serviceAccount?: string; nowSeconds?: number; lifetimeSeconds?: number } = {}, signWith = key) =>
  serviceAccountToken(signWith, {
    issuer: claims.issuer ?? ISSUER,
    namespace: 'strata',
    serviceAccount: claims.serviceAccount ?? 'files',
    nowSeconds: claims.nowSeconds ?? NOW - 60,
    lifetimeSeconds: claims.lifetimeSeconds ?? 3600,
  });
const request = (form: Record<string, string | undefined>, tenant = directory.tenantId) => ({
  tenant,
  nowSeconds: NOW,
  form: {
    grant_type: 'client_credentials',
    client_id: FILES_ID,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertionOf(),
    scope: 'https://storage.azure.com/.default',
    ...form,
  },
});
const decide = (req: ReturnType<typeof request>) => decideTokenRequest(directory, req, (t) => verifiedPayload(t, key));

describe('the token endpoint (workload identity)', () => {
  it('given a federated credential for the service account, when it presents its token, then a token for the resource', () => {
    expect(decide(request({}))).toEqual({ kind: 'issued', clientId: FILES_ID, resource: 'https://storage.azure.com', subject: 'system:serviceaccount:strata:files' });
  });

  it.each([
    ['another tenant', request({}, '33333333-3333-4333-8333-333333333333'), 400, 90002],
    ['a client id the directory does not know', request({ client_id: '44444444-4444-4444-8444-444444444444' }), 400, 700016],
    ["another service account's token", request({ client_assertion: assertionOf({ serviceAccount: 'gateway' }) }), 400, 70021],
    ["another cluster's token", request({ client_assertion: assertionOf({ issuer: 'https://elsewhere.example/' }) }), 400, 700211],
    ['an expired token', request({ client_assertion: assertionOf({ nowSeconds: NOW - 7200 }) }), 401, 700024],
    ['a token signed by someone else', request({ client_assertion: assertionOf({}, otherKey) }), 401, 50027],
    ['no assertion (a client secret flow)', request({ client_assertion: undefined, client_assertion_type: undefined, client_secret: 'x' }), 400, 900144],
    ['another grant type', request({ grant_type: 'password' }), 400, 70003],
    ['a scope without /.default', request({ scope: 'https://storage.azure.com/user_impersonation' }), 400, 1002012],
  ])('refuses %s as Entra ID does', (_what, req, status, code) => {
    const answer = decide(req);
    expect(answer).toMatchObject({ kind: 'refused', status, code });
    if (answer.kind === 'refused') expect(answer.description).toMatch(new RegExp(`^AADSTS${code}: `));
  });

  it('refuses an assertion for another audience than the token exchange', () => {
    const forApi = signJwt({ iss: ISSUER, sub: 'system:serviceaccount:strata:files', aud: ['api://something-else'], iat: NOW - 60, nbf: NOW - 60, exp: NOW + 600 }, key);
    expect(decide(request({ client_assertion: forApi }))).toMatchObject({ kind: 'refused', code: 70021 });
  });
});

describe('the tokens', () => {
  it('issues v1 access tokens of the kind Azurite --oauth basic accepts (sts.windows.net issuer, the resource as audience, a lifetime)', () => {
    const token = accessToken(key, { tenantId: directory.tenantId, clientId: FILES_ID, resource: 'https://storage.azure.com', nowSeconds: NOW });
    expect(verifiedPayload(token, key)).toMatchObject({
      iss: `https://sts.windows.net/${directory.tenantId}/`,
      aud: 'https://storage.azure.com',
      appid: FILES_ID,
      tid: directory.tenantId,
      iat: NOW,
      nbf: NOW,
      exp: NOW + 3600,
    });
  });

  it('projects service-account tokens for the exchange audience, and verifies only its own signature', () => {
    const token = assertionOf();
    expect(verifiedPayload(token, key)).toMatchObject({ iss: ISSUER, sub: 'system:serviceaccount:strata:files', aud: [TOKEN_EXCHANGE_AUDIENCE] });
    expect(verifiedPayload(token, otherKey)).toBeUndefined();
    expect(verifiedPayload('not.a.jwt', key)).toBeUndefined();
    expect(verifiedPayload(`${token}.extra`, key)).toBeUndefined();
  });
});

describe('discovery', () => {
  it("serves the tenant's OpenID configuration with every field MSAL requires, on Entra ID's host", () => {
    const config = openIdConfiguration(directory.tenantId);
    for (const field of ['authorization_endpoint', 'token_endpoint', 'issuer', 'jwks_uri']) expect(config).toHaveProperty(field);
    expect(config.token_endpoint).toBe(`https://login.microsoftonline.com/${directory.tenantId}/oauth2/v2.0/token`);
  });

  it('answers instance discovery for its own host and refuses any other authority (AADSTS50049)', () => {
    const own = instanceDiscovery(`https://login.microsoftonline.com/${directory.tenantId}/oauth2/v2.0/authorize`);
    expect(own.status).toBe(200);
    expect(own.body.tenant_discovery_endpoint).toBe(`https://login.microsoftonline.com/${directory.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(instanceDiscovery('https://127.0.0.1:6443/tenant/oauth2/v2.0/authorize').status).toBe(400);
    expect(instanceDiscovery('not a url').status).toBe(400);
    expect(instanceDiscovery(null).status).toBe(400);
  });
});
