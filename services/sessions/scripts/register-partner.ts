/**
 * Registers a partner client for the OAuth 2.0 client-credentials grant and prints its secret
 * once (only its hash is stored):
 *
 *   npm run register-partner -w @strata/sessions -- --name "Acme" --scopes files:read,files:write [--plan partner] [--id acme]
 *
 * It writes to the sessions event store directly: DATABASE_URL, or the local stack's secret file
 * (.strata/dev/secrets.json) when DATABASE_URL is unset.
 */
import { PARTNER_SCOPES } from '@strata/auth';
import { Secrets } from '@strata/contracts';
import { EventStore, kyselyFromPool } from '@strata/event-store';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { sessionsCommands } from '../src/commands.js';
import { migrateReadModels } from '../src/db/migrate.js';
import type { Database } from '../src/db/schema.js';
import { ClientExistsError } from '../src/domain/client/client.js';
import { hashPassword } from '../src/passwords.js';

function databaseUrl(): string {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const file = resolve(import.meta.dirname, '../../../.strata/dev/secrets.json');
  if (!existsSync(file)) throw new Error('set DATABASE_URL, or run `npm start` once so that .strata/dev/secrets.json exists');
  const secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const url = secrets[Secrets.postgresConnectionString];
  if (!url) throw new Error(`${file} has no ${Secrets.postgresConnectionString}`);
  return url;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      scopes: { type: 'string', default: 'files:read' },
      plan: { type: 'string', default: 'partner' },
      id: { type: 'string' },
    },
  });
  if (!values.name) {
    console.error('usage: register-partner --name "Acme" [--scopes files:read,files:write] [--plan partner] [--id acme]');
    return 2;
  }
  const scopes = values.scopes.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !(PARTNER_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    console.error(`unknown scopes: ${unknown.join(', ')} (known: ${PARTNER_SCOPES.join(', ')})`);
    return 2;
  }
  const clientId = values.id ?? `${values.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40)}-${randomBytes(4).toString('hex')}`;
  if (!/^[A-Za-z0-9_-]{3,100}$/.test(clientId)) {
    console.error('the client id may hold letters, digits, - and _ only (3-100 characters)');
    return 2;
  }
  const secret = randomBytes(32).toString('base64url');
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
  try {
    const db = kyselyFromPool(pool) as Kysely<Database>;
    await migrateReadModels(db as Kysely<unknown>);
    const store = await EventStore.open({ db, schema: 'sessions' });
    await sessionsCommands({ store, db }).clients.handle(
      clientId,
      {
        type: 'RegisterPartnerClient',
        data: { clientId, name: values.name, secretHash: await hashPassword(secret), scopes, plan: values.plan, now: new Date() },
      },
      { metadata: { actor: 'cli:register-partner' } },
    );
  } catch (error) {
    if (error instanceof ClientExistsError) {
      console.error(`a client with id ${clientId} exists already`);
      return 1;
    }
    throw error;
  } finally {
    await pool.end();
  }
  console.log(`client_id:     ${clientId}`);
  console.log(`client_secret: ${secret}`);
  console.log(`scopes:        ${scopes.join(' ')}`);
  console.log('The secret is shown once and stored only as a hash. Keep it in the partner\'s secret store.');
  return 0;
}

process.exitCode = await main();
