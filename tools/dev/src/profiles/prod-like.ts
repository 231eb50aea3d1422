/**
 * The production-like profile: every app beside a sidecar that runs deploy/dapr/config/<app>.yaml
 * (access control deny-by-default over mTLS from a local Sentry, secret scopes, tracing, the
 * resiliency policies) with dapr/prod-like/components (deploy/'s components, same names and the
 * metadata that matters), on local stand-ins of the Azure services:
 *
 * - Azure Cache for Redis (Premium, clustered, TLS on 6380, access key) → a three-master Redis
 *   Cluster over TLS with a password (infra/redis-cluster.ts);
 * - PostgreSQL Flexible Server's PgBouncer with sslmode=require → PgBouncer in transaction mode
 *   with client TLS required, before the machine's Postgres (infra/pgbouncer.ts);
 * - Blob Storage through workload identity → Azurite over HTTPS with OAuth, no key in any app, and
 *   an Entra ID stand-in that exchanges federated service-account tokens (infra/entra.ts);
 * - the Dapr control plane's mTLS → Dapr's Sentry (infra/sentry.ts).
 *
 * Key Vault, Entra ID itself, the Application Gateway and Kubernetes are not mirrored:
 * deploy/README.md ("Production-like profile") says what that leaves unchecked.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { newSigningKey } from '@strata/auth';
import { AppIds, BLOB_CONTAINER, Components, Secrets } from '@strata/contracts';
import { PGBOUNCER, REDIS_SERVER, ensureDebianTools } from '../debian.js';
import { type Azurite, createContainer, startAzurite } from '../infra/azurite.js';
import { type EntraStandIn, type FederatedIdentity, accessToken, loadSigningKey, serviceAccountSubject, startEntraStandIn, workloadIdentity } from '../infra/entra.js';
import { type Part, announced } from '../infra/part.js';
import { type PgBouncer, poolSettingsFromEnv, startPgBouncer } from '../infra/pgbouncer.js';
import { type RedisCluster, startRedisCluster } from '../infra/redis-cluster.js';
import { type Sentry, mtlsSidecar, startSentry } from '../infra/sentry.js';
import { type StackTls, ensureStackTls } from '../infra/tls.js';
import { REPO_ROOT } from '../paths.js';
import { postgresUrl as postgresUrlOf, preflight } from '../preflight.js';
import { say } from '../log.js';
import type { RunApp } from '../runfile.js';
import { ComponentEnv, mailDirOf } from '@strata/testing/harness';
import { type DaprConfiguration, readConfiguration, stackNameResolution, writeSecrets } from './common.js';
import type { Profile, ProfileInput, RunningProfile } from './profile.js';

export const DEPLOY_DAPR_DIR = join(REPO_ROOT, 'deploy', 'dapr');
export const PROD_LIKE_COMPONENTS = join(REPO_ROOT, 'dapr', 'prod-like', 'components');
const DEPLOY_K8S_BASE = join(REPO_ROOT, 'deploy', 'k8s', 'base');

/**
 * Ports of the stand-ins before the stack's offset, in a block of their own (64xx, Redis at 6380
 * like Azure's TLS port); Azurite keeps its port (AZURITE_BLOB_PORT). All stay below the kernel's
 * ephemeral range for the offsets in use (a test stack at 9,000 or 10,000).
 */
export const PROD_LIKE_PORTS = {
  redis: [6380, 6381, 6382],
  /** A node's cluster bus is its port plus this (Redis's default, + 10,000, would meet a stack 10,000 apart). */
  redisBusStep: 100,
  pgbouncer: 6432,
  entra: 6443,
  sentry: 6450,
  sentryHealthz: 6451,
} as const;

export function prodLikePorts(offset: number) {
  const p = PROD_LIKE_PORTS;
  return {
    redisNodes: p.redis.map((port) => ({ port: port + offset, busPort: port + offset + p.redisBusStep })),
    pgbouncer: p.pgbouncer + offset,
    entra: p.entra + offset,
    sentry: p.sentry + offset,
    sentryHealthz: p.sentryHealthz + offset,
  };
}

export function allProdLikePorts(offset: number): number[] {
  const p = prodLikePorts(offset);
  return [...p.redisNodes.flatMap((n) => [n.port, n.busPort]), p.pgbouncer, p.entra, p.sentry, p.sentryHealthz];
}

/** The storage account of the stack's Azurite (deploy's STORAGE_ACCOUNT comes from the aks overlay). */
export const STORAGE_ACCOUNT = 'stratalocal';
/** The login clients present to PgBouncer: the runbook's admin login on the Flexible Server. */
export const POSTGRES_LOGIN = 'strata_admin';

/** The namespace deploy/ puts every app in (deploy/k8s/base/kustomization.yaml): what accessControl names. */
export function deployNamespace(): string {
  const kustomization = parse(readFileSync(join(DEPLOY_K8S_BASE, 'kustomization.yaml'), 'utf8')) as { namespace?: string };
  if (!kustomization.namespace) throw new Error('deploy/k8s/base/kustomization.yaml names no namespace');
  return kustomization.namespace;
}

/** The client-id placeholder of an app's service account (FILES_CLIENT_ID, ...), when it uses workload identity. */
export function workloadIdentityOf(appId: string): string | undefined {
  try {
    const account = parse(readFileSync(join(DEPLOY_K8S_BASE, 'apps', appId, 'serviceaccount.yaml'), 'utf8')) as {
      metadata?: { annotations?: Record<string, string> };
    };
    return account.metadata?.annotations?.['azure.workload.identity/client-id'];
  } catch {
    return undefined;
  }
}

interface Component {
  metadata: { name: string };
  spec: { metadata: { name: string; value?: string; envRef?: string; secretKeyRef?: { name: string; key: string } }[] };
  scopes?: string[];
}

export function readComponent(dir: string, name: string): Component {
  return parse(readFileSync(join(dir, `${name}.yaml`), 'utf8')) as Component;
}

/** The secret a component reads for one of its metadata fields (e.g. the pub/sub's redisPassword). */
function secretNameOf(component: Component, field: string): string {
  const ref = component.spec.metadata.find((m) => m.name === field)?.secretKeyRef;
  if (!ref) throw new Error(`${component.metadata.name}: ${field} is not read from the secret store`);
  return ref.name;
}

/**
 * deploy/'s Configuration of one app as the profile runs it. Two things change, and nothing else
 * (a unit test holds the rest equal, accessControl and secret scopes above all):
 * - spec.tracing.otel goes: it names the cluster's OpenTelemetry Collector, which does not run
 *   here (the exporter would retry and log errors); sampling stays, so traceparent still flows;
 * - spec.nameResolution comes: Kubernetes DNS resolves app-ids on AKS, the local sqlite resolver
 *   (the stack's own database) here.
 * mTLS is no field of these files on AKS either (the daprsystem Configuration, from the helm
 * values): Sentry and the sidecars' flags (infra/sentry.ts) stand for it.
 */
export function prodLikeConfiguration(deployConfig: DaprConfiguration, nameResolution: DaprConfiguration['spec']['nameResolution']): DaprConfiguration {
  const config = structuredClone(deployConfig);
  const tracing = config.spec.tracing as Record<string, unknown> | undefined;
  if (tracing) delete tracing.otel;
  config.spec.nameResolution = nameResolution;
  return config;
}

/** The Configuration of sidecars the stack does not run (a partner's, a test's): deny by default, no secrets. */
export function outsiderConfiguration(template: DaprConfiguration): DaprConfiguration {
  const config = structuredClone(template);
  config.metadata = { name: 'strata-outsider' };
  config.spec.accessControl = { defaultAction: 'deny', trustDomain: 'public', policies: [] };
  config.spec.secrets = { scopes: [{ storeName: Components.secretstore, defaultAccess: 'deny' }] };
  return config;
}

/** The secrets deploy/'s apps and components read from Key Vault, with this stack's values. */
export function prodLikeSecrets(values: { redisUrl: string; redisPassword: string; postgresUrl: string; postgresDirectUrl: string }): Record<string, string> {
  return {
    [Secrets.redisUrl]: values.redisUrl,
    [secretNameOf(readComponent(PROD_LIKE_COMPONENTS, Components.pubsub), 'redisPassword')]: values.redisPassword,
    [Secrets.postgresConnectionString]: values.postgresUrl,
    [Secrets.postgresDirectConnectionString]: values.postgresDirectUrl,
  };
}

/**
 * The secrets the launcher makes once and keeps over restarts (as an operator creates them once in
 * Key Vault): the token signing keys. Nothing else: no app reads a secret that is not in the
 * manifests (AppManifests), and the test holds this file to them.
 */
export async function prodLikeGeneratedSecrets(): Promise<Record<string, string>> {
  return { [Secrets.tokenSigningKeys]: JSON.stringify({ keys: [await newSigningKey()] }) };
}

const secret = () => randomBytes(24).toString('hex');

/** Starts the parts side by side; when one fails, stops the others and names every failure. */
async function startAll(steps: Record<string, () => Promise<Part>>): Promise<Part[]> {
  const results = await Promise.allSettled(Object.entries(steps).map(([what, start]) => announced(what, start)));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
  if (failed.length > 0) {
    await Promise.all(started.map((p) => p.stop()));
    throw new Error(`the production-like infrastructure did not start:\n  - ${failed.join('\n  - ')}`);
  }
  return started;
}

export const prodLikeProfile: Profile = {
  name: 'prod-like',
  ports: ({ portOffset, azuriteBlobPort }) => [azuriteBlobPort, ...allProdLikePorts(portOffset)],
  async start(input: ProfileInput): Promise<RunningProfile> {
    const { infra, runDir, ctx } = input;
    await ensureDebianTools([PGBOUNCER, REDIS_SERVER]);
    say(`checking Postgres (${infra.pgHost}:${infra.pgPort}), behind the profile's PgBouncer`);
    const problems = await preflight(infra, input.database, { recreate: input.fresh, redis: false });
    if (problems.length > 0) throw new Error(`cannot start: \n  - ${problems.join('\n  - ')}`);

    const tls: StackTls = ensureStackTls(join(runDir, 'tls'));
    const ports = prodLikePorts(input.portOffset);
    const namespace = deployNamespace();
    const redisPassword = secret();
    const pgPassword = secret();
    const signingKey = loadSigningKey(tls.tokenKey);
    const tenantId = randomUUID();
    const serviceAccountIssuer = `https://oidc.strata.localhost/${randomUUID()}/`;
    // one client id per identity deploy/ names (FILES_CLIENT_ID, SECRETS_CLIENT_ID), fresh each start
    const clientIds = new Map<string, string>();
    const identities: FederatedIdentity[] = [];
    for (const appId of input.appIds) {
      const placeholder = workloadIdentityOf(appId);
      if (!placeholder) continue;
      if (!clientIds.has(placeholder)) clientIds.set(placeholder, randomUUID());
      identities.push({ clientId: clientIds.get(placeholder)!, subject: serviceAccountSubject(namespace, appId) });
    }
    const trust = { ...tls.loopback, ca: tls.ca.cert };
    const infraDir = join(runDir, 'infra');
    mkdirSync(infraDir, { recursive: true });

    let redis!: RedisCluster;
    let pgbouncer!: PgBouncer;
    let sentry!: Sentry;
    let entra!: EntraStandIn;
    let azurite!: Azurite;
    const parts = await startAll({
      'the Redis Cluster (3 masters, TLS)': async () =>
        (redis = await startRedisCluster(ctx, { nodes: ports.redisNodes, password: redisPassword, tls: trust, dir: join(infraDir, 'redis') })),
      'PgBouncer (transaction pooling, TLS)': async () =>
        (pgbouncer = await startPgBouncer(ctx, {
          port: ports.pgbouncer,
          databases: [input.database],
          backend: { host: infra.pgHost, port: infra.pgPort, user: infra.pgUser },
          user: POSTGRES_LOGIN,
          password: pgPassword,
          tls: trust,
          pool: poolSettingsFromEnv(),
          dir: join(infraDir, 'pgbouncer'),
        })),
      'Sentry (mTLS between sidecars)': async () =>
        (sentry = await startSentry(ctx, { port: ports.sentry, healthzPort: ports.sentryHealthz, credentialsDir: tls.sentryDir, dir: infraDir })),
      'the Entra ID stand-in': async () =>
        (entra = await startEntraStandIn(ctx, {
          port: ports.entra,
          tenantId,
          serviceAccountIssuer,
          identities,
          signingKeyFile: tls.tokenKey,
          tls: tls.entra,
          dir: join(infraDir, 'entra'),
        })),
      'Azurite (HTTPS, OAuth)': async () =>
        (azurite = await startAzurite(ctx, {
          port: input.azuriteBlobPort,
          dir: join(runDir, 'azurite'),
          fresh: input.fresh,
          oauth: { account: STORAGE_ACCOUNT, tls: tls.loopback },
          cwd: runDir,
        })),
    });
    const stop = async () => void (await Promise.all(parts.map((p) => p.stop())));
    try {
      // the infrastructure's own identity creates the container, as deploy/infra does on Azure
      await createContainer({
        endpoint: azurite.endpoint,
        account: STORAGE_ACCOUNT,
        container: BLOB_CONTAINER,
        ca: tls.ca.cert,
        token: accessToken(signingKey, { tenantId, clientId: 'strata-infrastructure', resource: 'https://storage.azure.com', nowSeconds: Math.floor(Date.now() / 1000) }),
      });
    } catch (error) {
      await stop();
      throw error;
    }

    const secretsFile = join(runDir, 'secrets.prod-like.json');
    const postgresUrl = pgbouncer.urlOf(input.database);
    // past PgBouncer, the server itself (port 5432 on Azure); the machine's Postgres has no TLS
    // and is not ours to reconfigure, so this one connection is plain (deploy/README.md)
    const postgresDirectUrl = postgresUrlOf(infra, input.database);
    writeSecrets(secretsFile, await prodLikeGeneratedSecrets(), prodLikeSecrets({ redisUrl: redis.url, redisPassword, postgresUrl, postgresDirectUrl }));

    const configDir = join(runDir, 'dapr');
    mkdirSync(configDir, { recursive: true });
    const nameResolution = stackNameResolution(input.localConfig, input.nameResolutionDb);
    const configFileOf = (appId: string) => join(configDir, `${appId}.yaml`);
    for (const appId of input.appIds) {
      const deployConfig = readConfiguration(join(DEPLOY_DAPR_DIR, 'config', `${appId}.yaml`));
      writeFileSync(configFileOf(appId), stringify(prodLikeConfiguration(deployConfig, nameResolution)));
    }
    const outsiderConfig = join(configDir, 'outsider.yaml');
    writeFileSync(outsiderConfig, stringify(outsiderConfiguration(prodLikeConfiguration(readConfiguration(join(DEPLOY_DAPR_DIR, 'config', 'gateway.yaml')), nameResolution))));

    // one app token per app and one API token for every sidecar, as the runbook creates them
    const appTokens = Object.fromEntries(input.appIds.map((id) => [id, secret()]));
    const daprApiToken = secret();
    const identityDir = join(runDir, 'identity');
    mkdirSync(identityDir, { recursive: true });
    const identityEnv = new Map<string, Record<string, string>>();
    for (const appId of input.appIds) {
      const placeholder = workloadIdentityOf(appId);
      if (!placeholder) continue;
      identityEnv.set(
        appId,
        workloadIdentity(entra, {
          signingKey,
          issuer: serviceAccountIssuer,
          namespace,
          serviceAccount: appId,
          clientId: clientIds.get(placeholder)!,
          tokenFile: join(identityDir, `${appId}.token`),
        }),
      );
    }
    const mtls = mtlsSidecar(sentry, namespace);
    const componentEnv: Record<string, string> = {
      [ComponentEnv.secretsFile]: secretsFile,
      [ComponentEnv.redisHost]: redis.seed,
      [ComponentEnv.storageAccount]: STORAGE_ACCOUNT,
      [ComponentEnv.blobEndpoint]: azurite.endpoint,
      [ComponentEnv.filesClientId]: clientIds.get('FILES_CLIENT_ID') ?? '',
      // the stand-in of the SMTP relay: the same file sink as the local profile's
      [ComponentEnv.mailDir]: mailDirOf(runDir),
    };
    mkdirSync(mailDirOf(runDir), { recursive: true });
    const resourcesPaths = [PROD_LIKE_COMPONENTS, join(DEPLOY_DAPR_DIR, 'config')];
    return {
      name: 'prod-like',
      parts,
      azurite,
      secretsFile,
      databaseUrl: postgresUrl,
      redisUrl: redis.url,
      blobConnectionString: '',
      daprConfigFile: outsiderConfig,
      resourcesPaths,
      appTokens,
      daprApiToken,
      caFile: tls.ca.cert,
      sidecar: (app: RunApp) => ({
        configFile: configFileOf(app.appId),
        // deploy/dapr/config holds the resiliency policies (its Configurations are not resources)
        resourcesPaths,
        args: mtls.args,
        env: {
          ...componentEnv,
          ...mtls.env,
          ...identityEnv.get(app.appId),
          // Go's TLS trusts the stack's CA (Redis, Azurite, the Entra stand-in) as it trusts Azure's
          SSL_CERT_FILE: tls.ca.cert,
          APP_API_TOKEN: appTokens[app.appId] ?? '',
          DAPR_API_TOKEN: daprApiToken,
        },
      }),
      appEnv: (app: RunApp) => ({
        ...identityEnv.get(app.appId),
        // the redis-url secret names one node of the cluster, as Azure's host name does
        REDIS_MODE: 'cluster',
        // Postgres through PgBouncer 1.18 in transaction mode: no named prepared statements
        DATABASE_NAMED_STATEMENTS: 'false',
        // files signs in to Blob Storage with its workload identity: a URL, no key (dapr.yaml's
        // development connection string is taken away: it would name a key)
        ...(app.appId === AppIds.files ? { BLOB_ACCOUNT_URL: `${azurite.endpoint}/${STORAGE_ACCOUNT}`, BLOB_CONNECTION_STRING: '' } : {}),
        NODE_EXTRA_CA_CERTS: tls.ca.cert,
        APP_API_TOKEN: appTokens[app.appId] ?? '',
        DAPR_API_TOKEN: daprApiToken,
      }),
      summary: [
        `Redis Cluster ${redis.seed} (+${ports.redisNodes.length - 1} masters), TLS, password in ${Secrets.redisUrl}`,
        `PgBouncer 127.0.0.1:${ports.pgbouncer} (transaction pooling, sslmode=require) → Postgres ${infra.pgHost}:${infra.pgPort}/${input.database}`,
        `Azurite ${azurite.endpoint}/${STORAGE_ACCOUNT} (OAuth only), Entra ID stand-in ${entra.proxyUrl} (tenant ${tenantId})`,
        `Sentry ${sentry.address}: sidecars are spiffe://public/ns/${namespace}/<app-id>; CA ${tls.ca.cert}`,
      ],
      stop,
    };
  },
};
