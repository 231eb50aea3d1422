/**
 * The production-like Blob Storage stand-in: Azurite over HTTPS with OAuth, where no app has a key.
 * It refuses anonymous requests and requests signed with a key, and accepts the token an app gets
 * through workload identity from the Entra ID stand-in, with @azure/identity (the files app's
 * library) and with Dapr's blob binding (Go azidentity) alike, both configured only by the
 * environment the webhook gives a pod on AKS.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOB_CONTAINER, Components } from '@strata/contracts';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDaprd } from '../src/daprd.js';
import { AZURITE_KEY, type Azurite, createContainer, startAzurite } from '../src/infra/azurite.js';
import { type EntraStandIn, accessToken, loadSigningKey, serviceAccountSubject, startEntraStandIn, workloadIdentity } from '../src/infra/entra.js';
import { spawnTracked, waitUntil } from '../src/infra/part.js';
import { REPO_ROOT } from '../src/paths.js';
import { readConfiguration, stackNameResolution } from '../src/profiles/common.js';
import { DEPLOY_DAPR_DIR, PROD_LIKE_COMPONENTS, STORAGE_ACCOUNT, prodLikeConfiguration } from '../src/profiles/prod-like.js';
import { stopProcess } from '../src/proc.js';
import { ComponentEnv, daprdArgs } from '@strata/testing/harness';
import { type InfraFixture, freePorts, infraFixture } from './infra-fixture.js';

const FIXTURE = join(REPO_ROOT, 'tools', 'dev', 'test', 'fixtures', 'blob-client.ts');
const filesClientId = randomUUID();
const otherClientId = randomUUID();
const issuer = `https://oidc.strata.localhost/${randomUUID()}/`;
let fx: InfraFixture;
let entra: EntraStandIn;
let azurite: Azurite;
let filesIdentity: Record<string, string>;

beforeAll(async () => {
  fx = infraFixture('blob-oauth');
  const [azuritePort, entraPort] = await freePorts(2);
  const tenantId = randomUUID();
  [entra, azurite] = await Promise.all([
    startEntraStandIn(fx.ctx, {
      port: entraPort!,
      tenantId,
      serviceAccountIssuer: issuer,
      identities: [{ clientId: filesClientId, subject: serviceAccountSubject('strata', 'files') }],
      signingKeyFile: fx.tls.tokenKey,
      tls: fx.tls.entra,
      dir: join(fx.dir, 'entra'),
    }),
    startAzurite(fx.ctx, { port: azuritePort!, dir: join(fx.dir, 'azurite'), oauth: { account: STORAGE_ACCOUNT, tls: fx.tls.loopback }, cwd: fx.dir }),
  ]);
  await createContainer({
    endpoint: azurite.endpoint,
    account: STORAGE_ACCOUNT,
    container: BLOB_CONTAINER,
    ca: fx.tls.ca.cert,
    token: accessToken(loadSigningKey(fx.tls.tokenKey), { tenantId, clientId: 'strata-infrastructure', resource: 'https://storage.azure.com', nowSeconds: Math.floor(Date.now() / 1000) }),
  });
  filesIdentity = workloadIdentity(entra, {
    signingKey: loadSigningKey(fx.tls.tokenKey),
    issuer,
    namespace: 'strata',
    serviceAccount: 'files',
    clientId: filesClientId,
    tokenFile: join(fx.dir, 'files.token'),
  });
});

afterAll(async () => {
  await Promise.all(fx.processes.map((p) => stopProcess(p)));
  fx?.cleanup();
});

interface Outcome {
  ok: boolean;
  body?: string;
  status?: number;
  code?: string;
  message?: string;
}

/** Runs the blob client in a process of its own, with the environment an app of the profile gets. */
function blobClient(mode: 'token' | 'shared-key' | 'anonymous', blob: string, env: Record<string, string> = {}, extra: string[] = []): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, azurite.endpoint, STORAGE_ACCOUNT, BLOB_CONTAINER, blob, ...extra], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: fx.tls.ca.cert, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', () => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Outcome);
      } catch {
        reject(new Error(`the blob client printed no outcome:\n${out}\n${err}`));
      }
    });
  });
}

describe('Azurite with OAuth, as Blob Storage without shared keys', () => {
  it('refuses an anonymous request', async () => {
    expect(await blobClient('anonymous', 'anonymous.txt')).toMatchObject({ ok: false, status: 403 });
  });

  it("refuses a request signed with the development key, or any key an app could know (the account's key is nobody's)", async () => {
    // Azure answers 403 KeyBasedAuthenticationNotPermitted; Azurite, once the signature fails, wants a bearer token
    expect(await blobClient('shared-key', 'keyed.txt', {}, [AZURITE_KEY])).toMatchObject({ ok: false, status: 400, code: 'InvalidAuthenticationInfo' });
  });

  it('accepts the token @azure/identity gets through workload identity from the Entra ID stand-in', async () => {
    expect(await blobClient('token', 'from-identity.txt', filesIdentity)).toEqual({ ok: true, body: 'written by a token client' });
  });

  it('gives no token to an identity without a federated credential for the service account', async () => {
    const outcome = await blobClient('token', 'stranger.txt', { ...filesIdentity, AZURE_CLIENT_ID: randomUUID() });
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/AADSTS700016|CredentialUnavailable|authentication/i);
  });
});

describe("Dapr's blob binding with dapr/prod-like/components/blobstore.yaml", () => {
  it("writes and reads blobs with a token from workload identity (Go azidentity, the same stand-in), no key anywhere, as the pod's AZURE_CLIENT_ID", async () => {
    const [httpPort, grpcPort, internalGrpcPort, metricsPort] = await freePorts(4);
    const resources = join(fx.dir, 'components');
    mkdirSync(resources, { recursive: true });
    copyFileSync(join(PROD_LIKE_COMPONENTS, `${Components.blobstore}.yaml`), join(resources, `${Components.blobstore}.yaml`));
    const config = join(fx.dir, 'files.yaml');
    const deploy = readConfiguration(join(DEPLOY_DAPR_DIR, 'config', 'files.yaml'));
    writeFileSync(config, stringify(prodLikeConfiguration(deploy, stackNameResolution(join(REPO_ROOT, 'dapr', 'config', 'config.yaml'), join(fx.dir, 'nr.db')))));
    const sidecar = spawnTracked(fx.ctx, {
      name: 'files-dapr',
      command: await ensureDaprd(),
      args: daprdArgs({ appId: 'files', httpPort: httpPort!, grpcPort: grpcPort!, internalGrpcPort: internalGrpcPort!, metricsPort: metricsPort!, configFile: config, resourcesPaths: [resources], logLevel: 'info' }),
      cwd: fx.dir,
      env: {
        ...process.env,
        ...filesIdentity,
        [ComponentEnv.storageAccount]: STORAGE_ACCOUNT,
        [ComponentEnv.blobEndpoint]: azurite.endpoint,
        // another identity in the component's azureClientId: Dapr's workload identity credential
        // reads only the pod's AZURE_CLIENT_ID (components-contrib 1.18, common/authentication/azure)
        [ComponentEnv.filesClientId]: otherClientId,
        SSL_CERT_FILE: fx.tls.ca.cert,
      },
    });
    const url = `http://127.0.0.1:${httpPort}/v1.0`;
    await waitUntil('the files sidecar', async () => (await fetch(`${url}/healthz/outbound`)).status === 204, { timeoutMs: 60_000, watch: [sidecar] });
    const invoke = (body: unknown) => fetch(`${url}/bindings/${Components.blobstore}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const created = await invoke({ operation: 'create', data: 'written by the sidecar', metadata: { blobName: 'from-dapr.txt' } });
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({ blobURL: `${azurite.endpoint}/${STORAGE_ACCOUNT}/${BLOB_CONTAINER}/from-dapr.txt` });
    const read = await invoke({ operation: 'get', metadata: { blobName: 'from-identity.txt' } });
    expect(read.status).toBe(200);
    // what the app wrote with @azure/identity, the sidecar reads: one account, one container, one identity
    expect(await read.text()).toBe('written by a token client');
    const issued = entra.processes[0]!.tail().join('\n');
    expect(issued).toContain(`issued a token for https://storage.azure.com to client ${filesClientId} (system:serviceaccount:strata:files)`);
    expect(issued).not.toContain(otherClientId);
    await stopProcess(sidecar);
  });
});
