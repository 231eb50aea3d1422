/**
 * The production-like profile runs deploy/'s Dapr configuration: these checks hold the files it
 * writes and reads to deploy/'s, so that what differs is only what the profile says it changes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_APP_IDS, AppManifests, Components, Secrets } from '@strata/contracts';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../src/cli.js';
import { pgbouncerIni, poolSettingsFromEnv, POOL_DEFAULTS } from '../src/infra/pgbouncer.js';
import { nodeConfig } from '../src/infra/redis-cluster.js';
import { sentryConfiguration } from '../src/infra/sentry.js';
import { REPO_ROOT } from '../src/paths.js';
import { readConfiguration } from '../src/profiles/common.js';
import {
  DEPLOY_DAPR_DIR,
  PROD_LIKE_COMPONENTS,
  allProdLikePorts,
  deployNamespace,
  outsiderConfiguration,
  prodLikeConfiguration,
  prodLikeGeneratedSecrets,
  prodLikeSecrets,
  workloadIdentityOf,
} from '../src/profiles/prod-like.js';
import { readRunFile, shiftPorts } from '../src/runfile.js';
import { ComponentEnv } from '@strata/testing/harness';
import { TEST_PORT_OFFSET } from '../src/test-stack.js';

type Item = { name: string; value?: string; envRef?: string; secretKeyRef?: { name: string; key: string } };
type Component = { metadata: { name: string }; spec: { type: string; version: string; metadata: Item[] }; scopes?: string[]; auth?: { secretStore: string } };
const readDir = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as Component)
      .map((c) => [c.metadata.name, c]),
  );
const deployed = readDir(join(DEPLOY_DAPR_DIR, 'components'));
/**
 * deploy/'s components the profile leaves out, and why (deploy/README.md, "What it cannot mirror"):
 * by type, whatever deploy/ names them.
 */
const NOT_MIRRORED: Record<string, string> = {
  // no local Azure OpenAI: insights, told of no model (CONVERSATION_COMPONENT unset), answers extractively
  'conversation.openai': 'Azure OpenAI',
};
/**
 * deploy/'s components the profile runs with a stand-in of another type, and why (deploy/README.md,
 * "What it cannot mirror"): by deploy/'s type, the stand-in's type.
 */
const STANDS_IN: Record<string, string> = {
  // no SMTP relay here: the mail goes to the stack's mail/ folder, which the tests read
  'bindings.smtp': 'bindings.localstorage',
};
const mirrored = Object.fromEntries(Object.entries(deployed).filter(([, c]) => !(c.spec.type in NOT_MIRRORED)));
const local = readDir(PROD_LIKE_COMPONENTS);
const byName = (c: Component) => Object.fromEntries(c.spec.metadata.map((m) => [m.name, m]));
const nameResolution = { component: 'sqlite', configuration: { connectionString: '/tmp/nr.db' } };

describe("deploy/'s Configurations as the profile runs them", () => {
  it.each(ALL_APP_IDS)('%s: accessControl, secret scopes, metrics and logging stay exactly as deployed; only otel goes and name resolution comes', (app) => {
    const deploy = readConfiguration(join(DEPLOY_DAPR_DIR, 'config', `${app}.yaml`));
    const run = prodLikeConfiguration(deploy, nameResolution);
    expect(run.spec.accessControl).toEqual(deploy.spec.accessControl);
    expect(run.spec.secrets).toEqual(deploy.spec.secrets);
    expect(run.metadata).toEqual(deploy.metadata);
    const { otel, ...tracing } = deploy.spec.tracing as Record<string, unknown>;
    expect(otel).toBeDefined();
    expect(run.spec.tracing).toEqual(tracing);
    const { tracing: _t, nameResolution: nr, ...rest } = run.spec;
    const { tracing: _d, ...deployRest } = deploy.spec;
    expect(rest).toEqual(deployRest);
    expect(nr).toEqual(nameResolution);
  });

  it('gives sidecars outside deploy/ (partners, tests) nothing: deny by default, no secret', () => {
    const outsider = outsiderConfiguration(readConfiguration(join(DEPLOY_DAPR_DIR, 'config', 'gateway.yaml')));
    expect(outsider.spec.accessControl).toEqual({ defaultAction: 'deny', trustDomain: 'public', policies: [] });
    expect(outsider.spec.secrets).toEqual({ scopes: [{ storeName: Components.secretstore, defaultAccess: 'deny' }] });
  });

  it("sidecars' identities match deploy/'s policies: the namespace of the manifests, the trust domain Sentry gives", () => {
    expect(deployNamespace()).toBe('strata');
    for (const app of ALL_APP_IDS) {
      const acl = readConfiguration(join(DEPLOY_DAPR_DIR, 'config', `${app}.yaml`)).spec.accessControl as {
        trustDomain: string;
        policies: { namespace: string; appId: string }[];
      };
      expect(acl.trustDomain).toBe('public');
      for (const p of acl.policies.filter((p) => p.appId === 'gateway')) expect(p.namespace).toBe(deployNamespace());
    }
  });

  it("Sentry gets the workload-certificate settings of deploy/'s helm values", () => {
    expect(sentryConfiguration()).toMatchObject({ metadata: { name: 'daprsystem' }, spec: { mtls: { enabled: true, workloadCertTTL: '24h', allowedClockSkew: '15m' } } });
  });
});

describe('dapr/prod-like/components against deploy/dapr/components', () => {
  it('has the same components, types, versions, scopes and secret store, but for the Azure services it cannot mirror', () => {
    expect(Object.keys(local).sort()).toEqual(Object.keys(mirrored).sort());
    // what is left out is what the list says, and deploy/ has it
    expect(Object.values(deployed).filter((c) => !(c.metadata.name in mirrored)).map((c) => c.spec.type).sort()).toEqual(Object.keys(NOT_MIRRORED).sort());
    for (const [name, d] of Object.entries(mirrored)) {
      const l = local[name]!;
      if (name === Components.secretstore) continue;
      if (d.spec.type in STANDS_IN) {
        expect({ type: l.spec.type, version: l.spec.version, scopes: l.scopes }, name).toEqual({ type: STANDS_IN[d.spec.type], version: d.spec.version, scopes: d.scopes });
        continue;
      }
      expect({ type: l.spec.type, version: l.spec.version, scopes: l.scopes, auth: l.auth }, name).toEqual({ type: d.spec.type, version: d.spec.version, scopes: d.scopes, auth: d.auth });
    }
  });

  // what the aks overlay fills in (placeholders) comes from the stack; everything else is deploy/'s own
  const FROM_THE_STACK: Record<string, string[]> = { pubsub: ['redisHost'], blobstore: ['accountName', 'azureClientId'] };
  // the one addition: Azurite's endpoint for the binding (Blob Storage's is derived from accountName)
  const LOCAL_ONLY: Record<string, string[]> = { blobstore: ['endpoint'] };

  it.each(['pubsub', 'statestore', 'blobstore'])('%s keeps every metadata item of deploy/, values and secret references alike', (name) => {
    const d = byName(deployed[name]!);
    const l = byName(local[name]!);
    expect(Object.keys(l).sort()).toEqual([...Object.keys(d), ...(LOCAL_ONLY[name] ?? [])].sort());
    for (const [field, item] of Object.entries(d)) {
      if (FROM_THE_STACK[name]?.includes(field)) expect(l[field]!.envRef, `${name}.${field}`).toBeDefined();
      else expect(l[field], `${name}.${field}`).toEqual(item);
    }
  });

  it('speaks to the stand-ins as to Azure: a TLS Redis Cluster with a password, no key for blobs', () => {
    expect(byName(local.pubsub!)).toMatchObject({ redisType: { value: 'cluster' }, enableTLS: { value: 'true' }, redisPassword: { secretKeyRef: { name: 'redis-password' } } });
    const blob = byName(local.blobstore!);
    for (const keyed of ['accountKey', 'connectionString', 'storageAccessKey']) expect(blob[keyed]).toBeUndefined();
  });

  it("deploy/README.md says what the profile leaves out of deploy/'s components, and why", () => {
    const section = /^### What it cannot mirror, and why\n([\s\S]*?)(?=^#{2,3} )/m.exec(readFileSync(join(REPO_ROOT, 'deploy', 'README.md'), 'utf8'))?.[1] ?? '';
    for (const [type, service] of Object.entries({ ...NOT_MIRRORED, 'bindings.smtp': 'SMTP relay' })) {
      const name = Object.values(deployed).find((c) => c.spec.type === type)!.metadata.name;
      expect(section).toContain(`**${service}**`);
      expect(section).toContain(`\`${name}\``);
    }
  });

  it('tells insights of no model: dapr.yaml, which the profile runs, names no conversation component', () => {
    const insights = readRunFile().find((a) => a.appId === 'insights');
    expect(insights).toBeDefined();
    expect(insights!.env).not.toHaveProperty('CONVERSATION_COMPONENT');
  });

  it('reads by envRef only what the launcher sets', () => {
    const refs = Object.values(local).flatMap((c) => c.spec.metadata.flatMap((m) => (m.envRef ? [m.envRef] : [])));
    for (const ref of refs) expect(Object.values(ComponentEnv)).toContain(ref);
  });
});

describe('the secrets', () => {
  const secrets = prodLikeSecrets({ redisUrl: 'rediss://:pw@127.0.0.1:6380/0', redisPassword: 'pw', postgresUrl: 'postgres://u:p@127.0.0.1:6432/db?sslmode=require', postgresDirectUrl: 'postgres://u@127.0.0.1:5432/db' });

  it("carry the Azure names every component and app reads, and no blob connection string", () => {
    expect(Object.keys(secrets).sort()).toEqual([Secrets.redisUrl, 'redis-password', Secrets.postgresConnectionString, Secrets.postgresDirectConnectionString].sort());
    expect(secrets).not.toHaveProperty(Secrets.blobConnectionString);
  });

  it("with the generated ones, are exactly what the apps read (their manifests) and the components read", async () => {
    const generated = await prodLikeGeneratedSecrets();
    const readByApps = ALL_APP_IDS.flatMap((app) => AppManifests[app].secrets);
    const readByComponents = Object.values(local).flatMap((c) => c.spec.metadata.flatMap((m) => (m.secretKeyRef ? [m.secretKeyRef.name] : [])));
    expect(Object.keys({ ...secrets, ...generated }).sort()).toEqual([...new Set([...readByApps, ...readByComponents])].sort());
  });

  it("hold every secret deploy/'s secret scopes let an app read", async () => {
    const all = { ...secrets, ...(await prodLikeGeneratedSecrets()) };
    for (const app of ALL_APP_IDS) {
      const scopes = readConfiguration(join(DEPLOY_DAPR_DIR, 'config', `${app}.yaml`)).spec.secrets as { scopes: { allowedSecrets: string[] }[] };
      for (const name of scopes.scopes.flatMap((s) => s.allowedSecrets)) expect(Object.keys(all)).toContain(name);
    }
  });
});

describe('the stand-ins', () => {
  it('Redis nodes listen on TLS only, with the password, in cluster mode, keeping nothing', () => {
    const conf = nodeConfig({ nodes: [], password: 'pw', tls: { cert: 'c', key: 'k', ca: 'a' }, dir: '/x' }, { port: 6380, busPort: 6480 }, '/x/6380');
    expect(conf).toMatch(/^port 0$/m);
    expect(conf).toMatch(/^tls-port 6380$/m);
    expect(conf).toMatch(/^cluster-enabled yes$/m);
    expect(conf).toMatch(/^cluster-port 6480$/m);
    expect(conf).toMatch(/^requirepass "pw"$/m);
    expect(conf).toMatch(/^save ""$/m);
  });

  it('PgBouncer pools by transaction, requires TLS from clients, and takes its pool sizes from the environment', () => {
    const ini = pgbouncerIni(
      { port: 6432, databases: ['strata'], backend: { host: '127.0.0.1', port: 5432, user: 'postgres' }, user: 'strata_admin', password: 'x', tls: { cert: 'c', key: 'k', ca: 'a' }, pool: POOL_DEFAULTS, dir: '/x' },
      '/x/userlist.txt',
    );
    expect(ini).toMatch(/^pool_mode = transaction$/m);
    expect(ini).toMatch(/^client_tls_sslmode = require$/m);
    expect(ini).toMatch(/^auth_type = scram-sha-256$/m);
    expect(ini).toMatch(/^strata = host=127.0.0.1 port=5432 dbname=strata user=postgres$/m);
    expect(poolSettingsFromEnv({ STRATA_PGBOUNCER_DEFAULT_POOL_SIZE: '3' })).toEqual({ ...POOL_DEFAULTS, defaultPoolSize: 3 });
    expect(() => poolSettingsFromEnv({ STRATA_PGBOUNCER_MAX_CLIENT_CONN: 'many' })).toThrow(/STRATA_PGBOUNCER_MAX_CLIENT_CONN must be a positive integer/);
  });

  it("gives every app the workload identity its service account names in deploy/", () => {
    expect(workloadIdentityOf('files')).toBe('FILES_CLIENT_ID');
    for (const app of ALL_APP_IDS.filter((a) => a !== 'files')) expect(workloadIdentityOf(app)).toBe('SECRETS_CLIENT_ID');
    expect(workloadIdentityOf('partner-example')).toBeUndefined();
  });

  it("keep clear of the apps' ports, of the test stack's and of a second stack 1,000 apart", () => {
    const apps = readRunFile();
    const ports = (offset: number) => [
      ...allProdLikePorts(offset),
      ...apps.flatMap((a) => [0, 100, 200].map((r) => shiftPorts(a, offset + r))).flatMap((a) => [a.port, a.internalPort, a.daprHttpPort, a.daprGrpcPort, a.daprInternalGrpcPort, a.metricsPort]),
    ];
    for (const [one, other] of [[0, 1000], [0, TEST_PORT_OFFSET], [TEST_PORT_OFFSET, TEST_PORT_OFFSET + 1000]]) {
      const all = [...ports(one!), ...ports(other!)];
      expect(new Set(all).size, `${one} and ${other}`).toBe(all.length);
    }
    // below Linux's ephemeral range (32768 and up), where outgoing connections take their ports
    expect(Math.max(...allProdLikePorts(TEST_PORT_OFFSET))).toBeLessThan(32768);
  });
});

describe('npm start -- --profile', () => {
  it('takes local (the default) or prod-like, and refuses anything else', () => {
    expect(parseProfile([])).toBe('local');
    expect(parseProfile(['--profile', 'prod-like'])).toBe('prod-like');
    expect(() => parseProfile(['--profile', 'aks'])).toThrow(/--profile expects one of local, prod-like/);
  });

  it('is what the root README and deploy/README.md tell people to run', () => {
    for (const readme of ['README.md', join('deploy', 'README.md')]) expect(readFileSync(join(REPO_ROOT, readme), 'utf8')).toContain('npm start -- --profile prod-like');
  });
});
