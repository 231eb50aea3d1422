/** The stack a chaos scenario runs against: the launcher's own (tools/dev), started apart from any other. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AZURITE_BLOB_PORT } from '@strata/contracts';
import { type Stack, startStack } from '@strata/dev';
import { REPO_ROOT } from '../paths.js';

/**
 * Where a chaos stack's ports go: every port of dapr.yaml shifted by this, and the scenario's own
 * servers (Postgres, Redis, Toxiproxy) at the ports below plus it. 5000 meets neither `npm start`
 * (0), the load stack (1000), nor test stacks 1,000 apart from 9,000 to 14,000.
 */
export const DEFAULT_CHAOS_OFFSET = 5_000;
export const OWN_PORTS = { postgres: 5440, postgresProxy: 5441, redis: 6390, redisProxy: 6391, toxiproxyApi: 8474 } as const;

export interface ChaosStack {
  stack: Stack;
  /** Where its logs and its servers' data are. */
  runDir: string;
  gatewayUrl: string;
  stop(keep: boolean): Promise<void>;
}

export function chaosRunDir(scenario: string): string {
  mkdirSync(join(REPO_ROOT, '.strata'), { recursive: true });
  return mkdtempSync(join(REPO_ROOT, '.strata', `chaos-${scenario}-`));
}

export interface ChaosStackOptions {
  scenario: string;
  runDir: string;
  offset: number;
  /** Where Postgres and Redis are (a server of the scenario's own, or Toxiproxy in front of one); the machine's by default. */
  pgPort?: number;
  redisPort?: number;
  only?: string[];
}

/**
 * A fresh stack of its own (database, Redis DB, Azurite folder, ports) under the supervisor, as
 * `npm start` runs it; per-address rate limits lifted (every chaos client is 127.0.0.1), the rest
 * of the limits on, so the ratelimit service is part of what is killed.
 */
export async function startChaosStack(options: ChaosStackOptions): Promise<ChaosStack> {
  process.env.RATELIMIT_POLICIES_FILE ??= join(REPO_ROOT, 'load', 'ratelimit-policies.load.json');
  const database = `strata_chaos_${options.scenario.replace(/\W/g, '_')}`;
  const stack = await startStack({
    name: `chaos-${options.scenario}`,
    runDir: options.runDir,
    portOffset: options.offset,
    database,
    // a server of the scenario's own has nothing else in it; on the machine's, a DB no stack of ours uses by default
    redisDb: options.redisPort ? 0 : Number(process.env.STRATA_CHAOS_REDIS_DB ?? 12),
    azuriteBlobPort: AZURITE_BLOB_PORT + options.offset,
    logToFiles: true,
    fresh: true,
    supervise: true,
    readyTimeoutMs: 180_000,
    ...(options.only ? { only: options.only } : {}),
    infra: {
      pgHost: '127.0.0.1',
      pgPort: options.pgPort ?? 5432,
      pgUser: 'postgres',
      redisHost: '127.0.0.1',
      redisPort: options.redisPort ?? 6379,
    },
  });
  return {
    stack,
    runDir: options.runDir,
    gatewayUrl: stack.gatewayUrl,
    stop: async (keep) => {
      await stack.stop();
      if (!keep) rmSync(options.runDir, { recursive: true, force: true });
    },
  };
}
