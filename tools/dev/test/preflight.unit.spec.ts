/**
 * The launcher's preflight knows what the services' migrations need of Postgres before any app
 * starts: a missing extension is one clear line, not a migration that fails inside an app.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/paths.js';
import { REQUIRED_EXTENSIONS, missingExtensions } from '../src/preflight.js';

/** Every extension a service's migration creates. */
function createdByMigrations(): string[] {
  const created = new Set<string>();
  for (const service of readdirSync(join(REPO_ROOT, 'services'))) {
    const dir = join(REPO_ROOT, 'services', service, 'src/db/migrations');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      for (const [, name] of readFileSync(join(dir, file), 'utf8').matchAll(/create extension (?:if not exists )?"?([a-z0-9_]+)/gi)) created.add(name!.toLowerCase());
    }
  }
  return [...created].sort();
}

describe('Postgres extensions', () => {
  it('the preflight checks exactly what the migrations create (insights: pg_trgm, btree_gin)', () => {
    expect(createdByMigrations()).toContain('pg_trgm');
    expect(createdByMigrations()).toContain('btree_gin');
    expect([...REQUIRED_EXTENSIONS].sort()).toEqual(createdByMigrations());
  });

  it('names a missing extension and what to install, and says nothing when all are there', () => {
    expect(missingExtensions(['btree_gin', 'pg_trgm', 'plpgsql'])).toBeUndefined();
    expect(missingExtensions(['btree_gin', 'plpgsql'])).toMatch(/^Postgres cannot create the extension pg_trgm, which insights' migrations need\./);
    const problem = missingExtensions(['plpgsql']);
    expect(problem).toMatch(/^Postgres cannot create the extensions btree_gin, pg_trgm, which insights' migrations need\./);
    expect(problem).toMatch(/contrib/);
  });
});
