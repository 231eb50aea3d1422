/**
 * The production-like Postgres stand-in behaves as Azure's built-in PgBouncer where the services
 * will notice: TLS is required, logins are checked, and transaction pooling hands one server
 * session to whichever client is in a transaction, so session state (SET, named prepared
 * statements, session advisory locks) is shared between clients instead of being theirs.
 * The pool has one server connection here, so which session a client gets is certain.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Components, Secrets } from '@strata/contracts';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDaprd } from '../src/daprd.js';
import { spawnTracked, waitUntil } from '../src/infra/part.js';
import { type PgBouncer, startPgBouncer } from '../src/infra/pgbouncer.js';
import { infraFromEnv, postgresUrl, preflight } from '../src/preflight.js';
import { stopProcess } from '../src/proc.js';
import { PROD_LIKE_COMPONENTS } from '../src/profiles/prod-like.js';
import { ComponentEnv, daprdArgs } from '@strata/testing/harness';
import { type InfraFixture, freePorts, infraFixture } from './infra-fixture.js';

const infra = infraFromEnv();
const database = `${process.env.STRATA_TEST_DATABASE ?? 'strata_test'}_pgbouncer`;
const password = 'the-admin-password';
let fx: InfraFixture;
let bouncer: PgBouncer;
const clients: pg.Client[] = [];

/** A PgBouncer of its own before the test database, with this many server connections. */
async function pooler(name: string, serverConnections: number): Promise<PgBouncer> {
  const [port] = await freePorts(1);
  return startPgBouncer(fx.ctx, {
    port: port!,
    databases: [database],
    backend: { host: infra.pgHost, port: infra.pgPort, user: infra.pgUser },
    user: 'strata_admin',
    password,
    tls: { ...fx.tls.loopback, ca: fx.tls.ca.cert },
    pool: { defaultPoolSize: serverConnections, maxDbConnections: serverConnections, maxClientConn: 20 },
    dir: join(fx.dir, name),
  });
}

beforeAll(async () => {
  fx = infraFixture('pgbouncer');
  expect(await preflight(infra, database, { recreate: true, redis: false })).toEqual([]);
  bouncer = await pooler('pgbouncer', 1);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await bouncer?.stop();
  const admin = new pg.Client({ connectionString: postgresUrl(infra, 'postgres') });
  await admin.connect();
  await admin.query(`drop database if exists "${database}" with (force)`);
  await admin.end();
  fx?.cleanup();
});

/** A client of the URL the apps get (sslmode=require), trusting the stack's CA as the apps do (NODE_EXTRA_CA_CERTS). */
async function connect(url = `${bouncer.urlOf(database)}&sslrootcert=${fx.tls.ca.cert}`): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  clients.push(client);
  await client.connect();
  return client;
}

describe('PgBouncer with sslmode=require', () => {
  it('runs queries over TLS with the login of the connection string', async () => {
    const client = await connect();
    expect((await client.query<{ db: string }>('select current_database() as db')).rows[0]?.db).toBe(database);
  });

  it('refuses a connection without TLS', async () => {
    await expect(connect(bouncer.urlOf(database).replace('sslmode=require', 'sslmode=disable'))).rejects.toThrow(/SSL required/);
  });

  it('refuses a wrong password', async () => {
    const wrong = bouncer.urlOf(database).replace(`:${password}@`, ':not-it@');
    await expect(connect(`${wrong}&sslrootcert=${fx.tls.ca.cert}`)).rejects.toThrow(/SASL authentication failed|password authentication failed/);
  });

  it('knows only the databases it was given', async () => {
    await expect(connect(`${bouncer.urlOf('postgres')}&sslrootcert=${fx.tls.ca.cert}`)).rejects.toThrow(/no such database/);
  });
});

describe('transaction pooling', () => {
  it('lets SET without LOCAL leak from one client to the next, where a session of its own keeps it', async () => {
    const [a, b] = [await connect(), await connect()];
    await a.query("set statement_timeout = '4321ms'");
    expect((await b.query<{ statement_timeout: string }>('show statement_timeout')).rows[0]?.statement_timeout).toBe('4321ms');
    const direct = new pg.Client({ connectionString: postgresUrl(infra, database) });
    clients.push(direct);
    await direct.connect();
    expect((await direct.query<{ statement_timeout: string }>('show statement_timeout')).rows[0]?.statement_timeout).toBe('0');
    await b.query('reset all');
  });

  it('keeps SET LOCAL inside its transaction (the pooler-safe way)', async () => {
    const [a, b] = [await connect(), await connect()];
    await a.query('begin');
    await a.query("set local statement_timeout = '999ms'");
    expect((await a.query<{ statement_timeout: string }>('show statement_timeout')).rows[0]?.statement_timeout).toBe('999ms');
    await a.query('commit');
    expect((await b.query<{ statement_timeout: string }>('show statement_timeout')).rows[0]?.statement_timeout).toBe('0');
  });

  it("shares named prepared statements between clients: one client's name is taken for the next (PgBouncer 1.18 does not track them)", async () => {
    const [a, b] = [await connect(), await connect()];
    expect((await a.query({ name: 'strata_q', text: 'select 1 as n' })).rows[0]?.n).toBe(1);
    await expect(b.query({ name: 'strata_q', text: 'select 2 as n' })).rejects.toThrow(/prepared statement "strata_q" already exists/);
    await a.query('deallocate all');
  });

  it('grants one session advisory lock to two clients at once: they share the server session', async () => {
    const [a, b] = [await connect(), await connect()];
    const take = async (c: pg.Client) => (await c.query<{ ok: boolean }>('select pg_try_advisory_lock(4242) as ok')).rows[0]?.ok;
    expect(await take(a)).toBe(true);
    expect(await take(b)).toBe(true);
    await a.query('select pg_advisory_unlock_all()');
  });
});

describe("Dapr's state store (dapr/prod-like/components/statestore.yaml, deploy/'s metadata) through PgBouncer", () => {
  // a pooler of its own with two server connections: the state store's migrations need two at once
  let statePooler: PgBouncer;
  const viaPooler = (db = database) => connect(`${statePooler.urlOf(db)}&sslrootcert=${fx.tls.ca.cert}`);

  beforeAll(async () => {
    statePooler = await pooler('pgbouncer-state', 2);
  });

  afterAll(async () => {
    await statePooler?.stop();
  });

  /**
   * A sessions sidecar with the statestore component as deploy/ has it, with the metadata items of
   * `overrides` in place of its own. It reads the connection string (through PgBouncer,
   * sslmode=require) from a secrets file, as from Key Vault.
   */
  async function stateSidecar(name: string, overrides: { name: string; value: string }[] = []) {
    const resources = join(fx.dir, name);
    mkdirSync(resources, { recursive: true });
    copyFileSync(join(PROD_LIKE_COMPONENTS, `${Components.secretstore}.yaml`), join(resources, `${Components.secretstore}.yaml`));
    const component = parse(readFileSync(join(PROD_LIKE_COMPONENTS, `${Components.statestore}.yaml`), 'utf8')) as { spec: { metadata: { name: string }[] } };
    component.spec.metadata = [...component.spec.metadata.filter((m) => !overrides.some((o) => o.name === m.name)), ...overrides];
    writeFileSync(join(resources, `${Components.statestore}.yaml`), stringify(component));
    const secrets = join(fx.dir, `${name}-secrets.json`);
    writeFileSync(secrets, JSON.stringify({ [Secrets.postgresConnectionString]: statePooler.urlOf(database) }));
    const config = join(fx.dir, `${name}-config.yaml`);
    writeFileSync(config, stringify({ apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name }, spec: {} }));
    const [httpPort, grpcPort, internalGrpcPort, metricsPort] = await freePorts(4);
    const proc = spawnTracked(fx.ctx, {
      name: `${name}-dapr`,
      command: await ensureDaprd(),
      args: daprdArgs({ appId: 'sessions', httpPort: httpPort!, grpcPort: grpcPort!, internalGrpcPort: internalGrpcPort!, metricsPort: metricsPort!, configFile: config, resourcesPaths: [resources] }),
      cwd: fx.dir,
      env: { ...process.env, [ComponentEnv.secretsFile]: secrets },
    });
    const url = `http://127.0.0.1:${httpPort}/v1.0/state/${Components.statestore}`;
    await waitUntil(`the ${name} sidecar`, async () => (await fetch(`http://127.0.0.1:${httpPort}/v1.0/healthz/outbound`)).status === 204, { timeoutMs: 60_000, watch: [proc] });
    return { url, stop: () => stopProcess(proc) };
  }

  /**
   * Two reads that reach Postgres on two of the sidecar's connections but one server session: one
   * client keeps a server connection in a transaction, another holds the second until PgBouncer's
   * admin console shows both reads waiting, then lets go. The reads then run one after the other
   * on that one session.
   */
  async function twoReadsOnOneSession(url: string): Promise<{ status: number; body: string }[]> {
    const [keeper, holder] = [await viaPooler(), await viaPooler()];
    for (const c of [keeper, holder]) {
      await c.query('begin');
      await c.query('select 1');
    }
    const reads = ['a', 'b'].map((k) => fetch(`${url}/strata-${k}`).then(async (r) => ({ status: r.status, body: await r.text() })));
    const admin = await viaPooler('pgbouncer');
    await waitUntil(
      'both reads waiting for a server connection',
      async () => (await admin.query<{ database: string; cl_waiting: string }>('SHOW POOLS')).rows.some((r) => r.database === database && Number(r.cl_waiting) >= 2),
      { timeoutMs: 20_000 },
    );
    await holder.query('commit');
    const answers = await Promise.all(reads);
    await keeper.query('commit');
    return answers;
  }

  it("fails in pgx's default mode (it names its prepared statements; PgBouncer 1.18 shares them between the sidecar's connections)", async () => {
    const sidecar = await stateSidecar('cache-statement', [{ name: 'queryExecMode', value: 'cache_statement' }]);
    const reads = await twoReadsOnOneSession(sidecar.url);
    expect(reads.map((r) => r.status).sort()).toEqual([204, 500]);
    expect(reads.find((r) => r.status === 500)!.body).toMatch(/ERR_STATE_GET.*prepared statement \\"stmtcache_[0-9a-f]+\\" already exists/);
    await sidecar.stop();
  });

  it('works as deployed: queryExecMode exec (unnamed statements, one round trip each)', async () => {
    const sidecar = await stateSidecar('deployed');
    expect((await twoReadsOnOneSession(sidecar.url)).map((r) => r.status)).toEqual([204, 204]);
    await sidecar.stop();
  });
});
