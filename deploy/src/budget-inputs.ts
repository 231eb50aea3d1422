/**
 * The connection budget's numbers, read from the files an operator applies: the rendered aks
 * overlay (HPA maxima, rollout surge, pool sizes, the sidecars' Postgres components), the Bicep
 * (server and PgBouncer parameters), the runbook's connection strings, and the services' own code
 * (which of them run the event relay, whose connection bypasses PgBouncer).
 */
import { ALL_APP_IDS } from '@strata/contracts';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AppDemand, PoolerLimits, ServerLimits } from './budget.js';
import { surgeOf } from './budget.js';
import type { Manifest } from './kustomize.js';
import { DEPLOY_DIR, REPO_ROOT } from './versions.js';

/** PgBouncer's port on the Flexible Server, and the server's own. */
export const POOLED_PORT = 6432;
export const DIRECT_PORT = 5432;
/**
 * Azure keeps 15 of max_connections for physical replication and monitoring ("Limits in Azure
 * Database for PostgreSQL flexible server", maximum user connections = maximum connections - 15).
 */
export const AZURE_RESERVED_CONNECTIONS = 15;
/** Left for people: psql in an incident, a restore check, a read-model rebuild (`npm run rebuild`: a pool of 2). */
export const OPERATOR_CONNECTIONS = 5;
/** The app's pool through PgBouncer, and (when a service has one) its pool on the server's own port. */
export const POOL_SIZE_ENV = 'DATABASE_POOL_SIZE';
export const DIRECT_POOL_SIZE_ENV = 'DATABASE_DIRECT_POOL_SIZE';

type EnvVar = { name: string; value?: string };
type Deployment = Manifest & {
  spec: {
    strategy?: { rollingUpdate?: { maxSurge?: number | string } };
    template: { metadata: { annotations?: Record<string, string> }; spec: { containers: { env?: EnvVar[] }[] } };
  };
};
type Hpa = Manifest & { spec: { scaleTargetRef: { kind: string; name: string }; maxReplicas: number } };
type Component = Manifest & { spec: { type: string; metadata: { name: string; value?: string }[] }; scopes?: string[] };

/** `var postgresParameters = [ { name: '…', value: '…' } … ]` in infra/main.bicep, as a map. */
export function postgresParameters(bicep: string): Map<string, string> {
  const block = /^var postgresParameters = \[\n([\s\S]*?)^\]/m.exec(bicep)?.[1];
  if (!block) throw new Error('infra/main.bicep has no `var postgresParameters = [ … ]`');
  const parameters = new Map<string, string>();
  for (const [, name, value] of block.matchAll(/\{ name: '([^']+)', value: '([^']*)' \}/g)) parameters.set(name!, value!);
  return parameters;
}

export interface RunbookConnectionString {
  secret: string;
  user: string;
  port: number;
  database: string;
}

/**
 * Every Postgres connection string the runbook writes into Key Vault (`az keyvault secret set -n
 * <secret> --value …`, shell variables set earlier in the runbook expanded), with its user, port
 * and database.
 */
export function runbookConnectionStrings(readme: string): RunbookConnectionString[] {
  const variables = new Map<string, string>();
  for (const [, name, value] of readme.matchAll(/^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)="([^"]*)"/gm)) variables.set(name!, value!);
  const expand = (value: string) => value.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (whole, name: string) => variables.get(name) ?? whole);
  const found: RunbookConnectionString[] = [];
  // a command may continue on the next line (a trailing backslash)
  const commands = readme.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => l.includes('az keyvault secret set'));
  for (const command of commands) {
    const secret = /\s-n\s+([a-z0-9-]+)/.exec(command)?.[1];
    const value = /--value\s+"([^"]*)"/.exec(command)?.[1];
    if (!secret || value === undefined) continue;
    const url = /postgres(?:ql)?:\/\/([^:@/]+)(?::[^@]*)?@[^:/]+:(\d+)\/([^?"\s]+)/.exec(expand(value));
    if (url) found.push({ secret, user: url[1]!, port: Number(url[2]), database: url[3]! });
  }
  return found;
}

/** Where an app's code lives: services/<app>, or the ui at the root. */
function sourceDir(app: string): string {
  const service = join(REPO_ROOT, 'services', app, 'src');
  return existsSync(service) ? service : join(REPO_ROOT, app, 'src');
}

function sourceText(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .map((path) => (statSync(path).isDirectory() ? sourceText(path) : /\.(ts|js)$/.test(path) ? readFileSync(path, 'utf8') : ''))
    .join('\n');
}

/** What an app's code does with Postgres: whether it opens a pool, and how many event relays it runs. */
export function codeUse(app: string): { opensPool: boolean; relays: number } {
  const text = sourceText(sourceDir(app));
  return { opensPool: /\b(postgresPlugin|registerStores)\b/.test(text), relays: text.match(/\beventRelayPlugin\(/g)?.length ?? 0 };
}

const intOf = (what: string, value: string | undefined): number => {
  if (value === undefined || !/^\d+$/.test(value)) throw new Error(`${what} must be a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
};

/** Each app's demand, from the rendered overlay and its code. Throws when deploy/ leaves a number to a default. */
export function appDemands(manifests: readonly Manifest[], use: (app: string) => { opensPool: boolean; relays: number } = codeUse): AppDemand[] {
  const of = <T>(kind: string) => manifests.filter((m) => m.kind === kind) as T[];
  const components = of<Component>('Component').filter((c) => c.spec.type.startsWith('state.postgresql') || c.spec.type.startsWith('bindings.postgresql'));
  return ALL_APP_IDS.map((app) => {
    const deployment = of<Deployment>('Deployment').find((d) => d.metadata?.name === app);
    const hpa = of<Hpa>('HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === app);
    if (!deployment || !hpa) throw new Error(`${app}: the overlay needs its Deployment and its HorizontalPodAutoscaler`);
    const env = new Map((deployment.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    const code = use(app);
    for (const name of [POOL_SIZE_ENV, DIRECT_POOL_SIZE_ENV]) {
      // registerStores opens both pools: the pooled one and the direct one
      if (code.opensPool && !env.has(name)) throw new Error(`${app} opens a Postgres pool: its Deployment must set ${name} (the default is no budget)`);
    }
    const sidecar = components
      .filter((c) => c.scopes === undefined || c.scopes.length === 0 || c.scopes.includes(app))
      .map((c) => intOf(`${c.metadata?.name}'s maxConns (pgx's default grows with the node's CPUs)`, c.spec.metadata.find((m) => m.name === 'maxConns')?.value))
      .reduce((sum, n) => sum + n, 0);
    return {
      app,
      maxReplicas: hpa.spec.maxReplicas,
      surge: surgeOf(deployment.spec.strategy?.rollingUpdate?.maxSurge, hpa.spec.maxReplicas),
      appPool: env.has(POOL_SIZE_ENV) ? intOf(`${app}'s ${POOL_SIZE_ENV}`, env.get(POOL_SIZE_ENV)) : 0,
      sidecarPool: sidecar,
      direct: code.relays + (env.has(DIRECT_POOL_SIZE_ENV) ? intOf(`${app}'s ${DIRECT_POOL_SIZE_ENV}`, env.get(DIRECT_POOL_SIZE_ENV)) : 0),
    };
  });
}

export function poolerLimits(parameters: Map<string, string>, connectionStrings: readonly RunbookConnectionString[]): PoolerLimits {
  if (parameters.get('pgbouncer.enabled') !== 'true') throw new Error('infra/main.bicep must set pgbouncer.enabled to true');
  const pairs = new Set(connectionStrings.filter((c) => c.port === POOLED_PORT).map((c) => `${c.user}@${c.database}`));
  return {
    maxClientConn: intOf('pgbouncer.max_client_conn', parameters.get('pgbouncer.max_client_conn')),
    defaultPoolSize: intOf('pgbouncer.default_pool_size', parameters.get('pgbouncer.default_pool_size')),
    pairs: pairs.size,
  };
}

export function serverLimits(parameters: Map<string, string>): ServerLimits {
  return { maxConnections: intOf('max_connections', parameters.get('max_connections')), reserved: AZURE_RESERVED_CONNECTIONS, operators: OPERATOR_CONNECTIONS };
}

export const readBicep = () => readFileSync(join(DEPLOY_DIR, 'infra/main.bicep'), 'utf8');
export const readRunbook = () => readFileSync(join(DEPLOY_DIR, 'README.md'), 'utf8');
