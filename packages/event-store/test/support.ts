import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { EventStore, kyselyFromPool } from '../src/index.js';

export interface TestStore {
  store: EventStore;
  pool: pg.Pool;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests' own tables
  db: Kysely<any>;
  schema: string;
  close(): Promise<void>;
}

/** A store in a schema of its own (random suffix), dropped again by close(). */
export async function openTestStore(databaseUrl: string, prefix: string, poolSize = 10, onPool?: (pool: pg.Pool) => void): Promise<TestStore> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, application_name: `event-store-test-${prefix}` });
  onPool?.(pool);
  const db = kyselyFromPool(pool);
  const store = await EventStore.open({ db, schema });
  return {
    store,
    pool,
    db,
    schema,
    async close() {
      await pool.query(`drop schema if exists "${schema}" cascade`);
      await db.destroy();
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
