/**
 * A local stand-in for Azure Cache for Redis Premium with clustering: three masters (no replicas),
 * TLS only, a password as the cache's access key. Nothing is kept on disk, as the cache keeps no
 * RDB here (deploy/README.md): each start makes a new, empty cluster.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { REDIS_SERVER } from '../debian.js';
import { type Part, type PartContext, partOf, spawnTracked, waitUntil } from './part.js';
import type { KeyPair } from './tls.js';

export interface RedisClusterNode {
  /** The node's TLS port: clients connect here. */
  port: number;
  /** Its cluster bus, where the nodes gossip (Redis's own default, port + 10000, would meet a stack 10,000 apart). */
  busPort: number;
}

export interface RedisClusterOptions {
  /** Three or more masters; the first is the seed clients are given, as Azure gives one host name. */
  nodes: RedisClusterNode[];
  password: string;
  tls: KeyPair & { ca: string };
  /** The nodes' working folders (cluster state); emptied at each start. */
  dir: string;
  startTimeoutMs?: number;
}

export interface RedisCluster extends Part {
  /** `host:port` of the seed node, as Dapr's redisHost and the pub/sub component expect it. */
  seed: string;
  /** A URL for single-node clients (rediss://:password@seed/0), what the services' redis-url holds. */
  url: string;
}

function redisCli(args: string[], password: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // REDISCLI_AUTH keeps the password off the command line (and out of `ps`)
    const child = spawn('redis-cli', args, { env: { ...process.env, REDISCLI_AUTH: password }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, output }));
    child.on('error', (e) => resolve({ code: 127, output: e.message }));
  });
}

/** A TLS client to one node, as the cluster's own checks use it. */
function nodeClient(options: RedisClusterOptions, port: number): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    password: options.password,
    tls: { ca: readFileSync(options.tls.ca) },
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2_000,
  });
  client.on('error', () => undefined);
  return client;
}

async function answers(options: RedisClusterOptions, port: number, check: (client: Redis) => Promise<boolean>): Promise<boolean> {
  const client = nodeClient(options, port);
  try {
    await client.connect();
    return await check(client);
  } finally {
    client.disconnect();
  }
}

/** The redis.conf of one node: TLS only (port 0), the password, cluster mode, nothing on disk. */
export function nodeConfig(options: RedisClusterOptions, node: RedisClusterNode, dir: string): string {
  return [
    'bind 127.0.0.1',
    'port 0',
    `tls-port ${node.port}`,
    `tls-cert-file ${options.tls.cert}`,
    `tls-key-file ${options.tls.key}`,
    `tls-ca-cert-file ${options.tls.ca}`,
    // Azure authenticates clients by the access key, not by client certificates
    'tls-auth-clients no',
    'tls-cluster yes',
    'tls-replication yes',
    'cluster-enabled yes',
    `cluster-port ${node.busPort}`,
    `cluster-config-file ${join(dir, 'nodes.conf')}`,
    'cluster-node-timeout 5000',
    `requirepass "${options.password}"`,
    `masterauth "${options.password}"`,
    'save ""',
    'appendonly no',
    `dir ${dir}`,
    // the title names this file, which lies in the run folder: the launcher recognises its own nodes
    'proc-title-template "{title} {listen-addr} {server-mode} {config-file}"',
    '',
  ].join('\n');
}

/**
 * Starts the nodes, joins them into a cluster with `redis-cli --cluster create` (the slots spread
 * over every master) and waits until each node reports `cluster_state:ok`.
 */
export async function startRedisCluster(ctx: PartContext, options: RedisClusterOptions): Promise<RedisCluster> {
  if (options.nodes.length < 3) throw new Error('a Redis Cluster needs three masters or more');
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  rmSync(options.dir, { recursive: true, force: true });
  const processes = options.nodes.map((node) => {
    const dir = join(options.dir, String(node.port));
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'redis.conf');
    writeFileSync(conf, nodeConfig(options, node, dir), { mode: 0o600 });
    return spawnTracked(ctx, { name: `redis:${node.port}`, command: REDIS_SERVER.binary, args: [conf], cwd: dir });
  });
  const part = partOf('Redis Cluster', processes);
  try {
    for (const node of options.nodes) {
      await waitUntil(`Redis node ${node.port}`, () => answers(options, node.port, async (c) => (await c.ping()) === 'PONG'), { timeoutMs, watch: processes });
    }
    const created = await redisCli(
      ['--tls', '--cacert', options.tls.ca, '--cluster', 'create', ...options.nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      options.password,
    );
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.output}`);
    for (const node of options.nodes) {
      await waitUntil(
        `the cluster as node ${node.port} sees it`,
        () => answers(options, node.port, async (c) => String(await c.call('CLUSTER', 'INFO')).includes('cluster_state:ok')),
        { timeoutMs, watch: processes },
      );
    }
  } catch (error) {
    await part.stop();
    throw error;
  }
  const seed = `127.0.0.1:${options.nodes[0]!.port}`;
  return { ...part, seed, url: `rediss://:${encodeURIComponent(options.password)}@${seed}/0` };
}
