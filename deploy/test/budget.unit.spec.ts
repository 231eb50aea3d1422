/**
 * The Postgres connection budget (deploy/README.md, "Connection budget"): computed from the files
 * an operator applies, it must fit PgBouncer and the server, and the README must print it.
 */
import { Secrets } from '@strata/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AppDemand, budgetTable, computeBudget, surgeOf } from '../src/budget.js';
import {
  DIRECT_PORT,
  DIRECT_POOL_SIZE_ENV,
  POOLED_PORT,
  POOL_SIZE_ENV,
  appDemands,
  codeUse,
  poolerLimits,
  postgresParameters,
  readBicep,
  readRunbook,
  runbookConnectionStrings,
  serverLimits,
} from '../src/budget-inputs.js';
import type { Manifest } from '../src/kustomize.js';
import { RENDER_TIMEOUT, ofKind, renderAks } from './render.js';

let aks: Manifest[];
beforeAll(() => {
  aks = renderAks();
}, RENDER_TIMEOUT);

const bicep = readBicep();
const runbook = readRunbook();
const parameters = postgresParameters(bicep);
const deployed = () => computeBudget(appDemands(aks), poolerLimits(parameters, runbookConnectionStrings(runbook)), serverLimits(parameters));

describe('the connection budget of deploy/', () => {
  it('fits PgBouncer and the server at the HPA maxima, rollouts included', () => {
    const budget = deployed();
    // the table is the message: it says which app asks for what
    expect(budget.problems, `\n${budgetTable(budget)}\n`).toEqual([]);
    // the figures the issue names: the services that open Postgres, 200 connections on the server
    expect(budget.apps.filter((a) => a.pooled + a.directTotal > 0).map((a) => a.app)).toEqual(['files', 'sessions', 'insights', 'webhooks']);
    expect(budget.server.maxConnections).toBe(200);
  });

  it('is printed in deploy/README.md as the budget computes it', () => {
    const printed = /<!-- budget:begin -->\n([\s\S]*?)\n<!-- budget:end -->/.exec(runbook)?.[1];
    expect(printed, 'run `npm run budget -w @strata/deploy` and paste its table into deploy/README.md').toBe(budgetTable(deployed()));
  });

  it('reads what the code opens: files, sessions and insights a pool and one event relay each, webhooks a pool, the others nothing', () => {
    expect(Object.fromEntries(['gateway', 'files', 'sessions', 'ratelimit', 'ui', 'insights', 'webhooks'].map((app) => [app, codeUse(app)]))).toEqual({
      gateway: { opensPool: false, relays: 0 },
      files: { opensPool: true, relays: 1 },
      sessions: { opensPool: true, relays: 1 },
      ratelimit: { opensPool: false, relays: 0 },
      ui: { opensPool: false, relays: 0 },
      insights: { opensPool: true, relays: 1 },
      webhooks: { opensPool: true, relays: 0 },
    });
  });

  it('leaves no number to a default: a Deployment without its pool size, or a state store without maxConns, is refused', () => {
    const copy = () => structuredClone(aks);
    const withoutPoolSize = copy();
    for (const d of ofKind<Manifest & { spec: { template: { spec: { containers: { env: { name: string }[] }[] } } } }>(withoutPoolSize, 'Deployment')) {
      for (const c of d.spec.template.spec.containers) c.env = c.env.filter((e) => e.name !== POOL_SIZE_ENV);
    }
    expect(() => appDemands(withoutPoolSize)).toThrow(/files opens a Postgres pool: its Deployment must set DATABASE_POOL_SIZE/);
    const withoutDirectPoolSize = copy();
    for (const d of ofKind<Manifest & { spec: { template: { spec: { containers: { env: { name: string }[] }[] } } } }>(withoutDirectPoolSize, 'Deployment')) {
      for (const c of d.spec.template.spec.containers) c.env = c.env.filter((e) => e.name !== DIRECT_POOL_SIZE_ENV);
    }
    expect(() => appDemands(withoutDirectPoolSize)).toThrow(/files opens a Postgres pool: its Deployment must set DATABASE_DIRECT_POOL_SIZE/);
    const withoutMaxConns = copy();
    for (const c of ofKind<Manifest & { spec: { type: string; metadata: { name: string }[] } }>(withoutMaxConns, 'Component')) {
      c.spec.metadata = c.spec.metadata.filter((m) => m.name !== 'maxConns');
    }
    expect(() => appDemands(withoutMaxConns)).toThrow(/statestore's maxConns/);
  });

  it('PgBouncer is on, in transaction mode, tracking no prepared statements (as the profile\'s 1.18)', () => {
    expect(Object.fromEntries([...parameters].filter(([k]) => k.startsWith('pgbouncer.')))).toEqual({
      'pgbouncer.enabled': 'true',
      'pgbouncer.pool_mode': 'TRANSACTION',
      'pgbouncer.default_pool_size': expect.stringMatching(/^\d+$/),
      'pgbouncer.max_client_conn': expect.stringMatching(/^\d+$/),
      'pgbouncer.max_prepared_statements': '0',
    });
  });

  it("the runbook's pooled string names PgBouncer's port, the direct one the server's, both with sslmode=require", () => {
    const strings = runbookConnectionStrings(runbook);
    const ports = (secret: string) => [...new Set(strings.filter((s) => s.secret === secret).map((s) => s.port))];
    expect(ports(Secrets.postgresConnectionString)).toEqual([POOLED_PORT]);
    expect(ports(Secrets.postgresDirectConnectionString)).toEqual([DIRECT_PORT]);
    for (const [, url] of runbook.matchAll(/"(postgres:\/\/[^"]+)"/g)) expect(url).toMatch(/\?sslmode=require$/);
  });

  it("the Postgres components of a sidecar do not name prepared statements (queryExecMode exec): they go through PgBouncer", () => {
    const postgres = ofKind<Manifest & { spec: { type: string; metadata: { name: string; value?: string }[] } }>(aks, 'Component').filter((c) => c.spec.type.includes('postgresql'));
    expect(postgres.length).toBeGreaterThan(0);
    for (const c of postgres) expect(c.spec.metadata.find((m) => m.name === 'queryExecMode')?.value, c.metadata?.name).toBe('exec');
  });

  it('the restore runbook sets the same server parameters as the Bicep', () => {
    const loop = /^for p in ([\s\S]*?); do$/m.exec(runbook.replace(/\\\n\s*/g, ' '))?.[1];
    expect(loop).toBeDefined();
    expect(new Map(loop!.trim().split(/\s+/).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]))).toEqual(parameters);
  });
});

describe('the budget computation', () => {
  const files: AppDemand = { app: 'files', maxReplicas: 15, surge: 4, appPool: 10, sidecarPool: 0, direct: 1 };
  const sessions: AppDemand = { app: 'sessions', maxReplicas: 15, surge: 4, appPool: 10, sidecarPool: 5, direct: 1 };
  const server = { maxConnections: 200, reserved: 15, operators: 5 };

  it('adds pods x (app pool + sidecar) for PgBouncer, and its pool, the direct connections and operators for the server', () => {
    const b = computeBudget([files, sessions], { maxClientConn: 1000, defaultPoolSize: 50, pairs: 1 }, server);
    expect({ clients: b.clients, poolerToServer: b.poolerToServer, direct: b.direct, serverDemand: b.serverDemand, serverAvailable: b.serverAvailable }).toEqual({
      clients: 19 * 10 + 19 * 15,
      poolerToServer: 50,
      direct: 38,
      serverDemand: 93,
      serverAvailable: 185,
    });
    expect(b.problems).toEqual([]);
  });

  it('fails an over-budget input, naming each limit, and its table says by how much', () => {
    // the starting point: no pooler, so every connection is the server's
    const bigger = { ...sessions, appPool: 40 };
    const b = computeBudget([files, bigger], { maxClientConn: 500, defaultPoolSize: 150, pairs: 1 }, server);
    expect(b.problems).toEqual([
      'PgBouncer clients: the apps open 1045, pgbouncer.max_client_conn is 500',
      'server connections: PgBouncer 150 + direct 38 + operators 5 = 193, max_connections 200 - reserved 15 = 185',
    ]);
    const table = budgetTable(b);
    expect(table).toContain('| 1045 | 500 | **no** (545 over) |');
    expect(table).toContain('| 150 + 38 + 5 = 193 | 200 - 15 reserved = 185 | **no** (8 over) |');
  });

  it('counts every user/database pair: a second login doubles what PgBouncer may open', () => {
    const one = computeBudget([files], { maxClientConn: 1000, defaultPoolSize: 80, pairs: 1 }, server);
    const two = computeBudget([files], { maxClientConn: 1000, defaultPoolSize: 80, pairs: 2 }, server);
    expect([one.serverDemand, two.serverDemand]).toEqual([80 + 19 + 5, 160 + 19 + 5]);
    expect([one.problems, two.problems]).toEqual([[], []]);
    const three = computeBudget([files], { maxClientConn: 1000, defaultPoolSize: 80, pairs: 3 }, server);
    expect(three.problems).toEqual(['server connections: PgBouncer 240 + direct 19 + operators 5 = 264, max_connections 200 - reserved 15 = 185']);
  });

  it('reads maxSurge as Kubernetes does: a count, or a percentage rounded up (25 % by default)', () => {
    expect([surgeOf('25%', 15), surgeOf('25%', 10), surgeOf(2, 15), surgeOf(undefined, 3), surgeOf('0%', 15)]).toEqual([4, 3, 2, 1, 0]);
    expect(() => surgeOf('a few', 15)).toThrow(/neither a count nor a percentage/);
  });
});
