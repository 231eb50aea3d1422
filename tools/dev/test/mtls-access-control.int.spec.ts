/**
 * deploy/'s access control, on sidecars that get their identity from a local Sentry as on AKS:
 * the callee's sidecar checks the caller's SPIFFE id (trust domain, namespace, app-id) against the
 * policies of deploy/dapr/config/<callee>.yaml. Without mTLS every caller would get the global
 * default, deny, and the stack could not work at all (pkg/acl in Dapr 1.18).
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDaprd } from '../src/daprd.js';
import { spawnTracked, waitUntil } from '../src/infra/part.js';
import { type Sentry, mtlsSidecar, startSentry } from '../src/infra/sentry.js';
import { REPO_ROOT } from '../src/paths.js';
import type { Managed } from '../src/proc.js';
import { stopProcess } from '../src/proc.js';
import { readConfiguration, stackNameResolution } from '../src/profiles/common.js';
import { DEPLOY_DAPR_DIR, deployNamespace, outsiderConfiguration, prodLikeConfiguration } from '../src/profiles/prod-like.js';
import { daprdArgs } from '@strata/testing/harness';
import { type InfraFixture, freePorts, infraFixture } from './infra-fixture.js';

let fx: InfraFixture;
let sentry: Sentry;
let app: Server;
const sidecars = new Map<string, { url: string; proc: Managed }>();

async function configFor(appId: string | 'outsider'): Promise<string> {
  const nameResolution = stackNameResolution(join(REPO_ROOT, 'dapr', 'config', 'config.yaml'), join(fx.dir, 'nameresolution.db'));
  const base = readConfiguration(join(DEPLOY_DAPR_DIR, 'config', `${appId === 'outsider' ? 'gateway' : appId}.yaml`));
  const config = prodLikeConfiguration(base, nameResolution);
  const file = join(fx.dir, `${appId}.yaml`);
  writeFileSync(file, stringify(appId === 'outsider' ? outsiderConfiguration(config) : config));
  return file;
}

/** A sidecar of `appId` in `namespace`, with the given Configuration; with mTLS from Sentry unless told not. */
async function sidecar(key: string, options: { appId: string; namespace: string; config: string; appPort?: number; mtls?: boolean }) {
  const [httpPort, grpcPort, internalGrpcPort, metricsPort] = await freePorts(4);
  const resources = join(fx.dir, 'no-components');
  mkdirSync(resources, { recursive: true });
  const mtls = options.mtls === false ? { args: [], env: { NAMESPACE: options.namespace } } : mtlsSidecar(sentry, options.namespace);
  const proc = spawnTracked(fx.ctx, {
    name: `${key}-dapr`,
    command: await ensureDaprd(),
    args: [
      ...daprdArgs({
        appId: options.appId,
        ...(options.appPort ? { appPort: options.appPort } : {}),
        httpPort: httpPort!,
        grpcPort: grpcPort!,
        internalGrpcPort: internalGrpcPort!,
        metricsPort: metricsPort!,
        configFile: options.config,
        resourcesPaths: [resources],
        logLevel: 'info',
      }),
      ...mtls.args,
    ],
    cwd: fx.dir,
    env: { ...process.env, ...mtls.env },
  });
  const url = `http://127.0.0.1:${httpPort}`;
  await waitUntil(`the ${key} sidecar`, async () => (await fetch(`${url}/v1.0/healthz`)).status === 204, { timeoutMs: 60_000, watch: [proc] });
  sidecars.set(key, { url, proc });
}

beforeAll(async () => {
  fx = infraFixture('mtls');
  const [port, healthzPort] = await freePorts(2);
  sentry = await startSentry(fx.ctx, { port: port!, healthzPort: healthzPort!, credentialsDir: fx.tls.sentryDir, dir: fx.dir });
  // the sessions app: answers every call with what it was asked and by whom (Dapr's caller header)
  app = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, caller: req.headers['dapr-caller-app-id'] }));
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  const namespace = deployNamespace();
  await Promise.all([
    sidecar('sessions', { appId: 'sessions', namespace, config: await configFor('sessions'), appPort: (app.address() as AddressInfo).port }),
    sidecar('gateway', { appId: 'gateway', namespace, config: await configFor('gateway') }),
    sidecar('ratelimit', { appId: 'ratelimit', namespace, config: await configFor('ratelimit') }),
    sidecar('partner', { appId: 'partner-example', namespace: 'partners', config: await configFor('outsider') }),
    sidecar('no-mtls', { appId: 'gateway', namespace, config: await configFor('gateway'), mtls: false }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([...sidecars.values()].map((s) => stopProcess(s.proc)));
  await sentry?.stop();
  await new Promise((r) => app?.close(r));
  fx?.cleanup();
});

const invoke = (from: string, target: string, path: string, method = 'GET') => fetch(`${sidecars.get(from)!.url}/v1.0/invoke/${target}/method${path}`, { method });

describe("deploy/dapr/config/sessions.yaml's access control over mTLS", () => {
  it('lets the gateway of the strata namespace call anything', async () => {
    const res = await invoke('gateway', 'sessions', '/api/v1/me');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: '/api/v1/me', caller: 'gateway' });
  });

  it('denies another app of the same namespace that no policy names (the default action)', async () => {
    const res = await invoke('ratelimit', 'sessions', '/api/v1/me');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('access control policy has denied access to id: spiffe://public/ns/strata/ratelimit');
  });

  it('lets partner-example from the partners namespace fetch the JWKS, and nothing else', async () => {
    expect((await invoke('partner', 'sessions.strata', '/.well-known/jwks.json')).status).toBe(200);
    const other = await invoke('partner', 'sessions.strata', '/api/v1/me');
    expect(other.status).toBe(403);
    expect(await other.text()).toContain('spiffe://public/ns/partners/partner-example');
    expect((await invoke('partner', 'sessions.strata', '/.well-known/jwks.json', 'POST')).status).toBe(403);
  });

  it('gives a sidecar without an identity from Sentry no way in, even under the app-id the policy allows', async () => {
    const res = await invoke('no-mtls', 'sessions', '/api/v1/me');
    // the callee's internal gRPC speaks TLS only: the plain connection ends before any policy is read
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/ERR_DIRECT_INVOKE.*connection error/);
  });
});
