import { Secrets } from '@strata/contracts';

/**
 * A setting that names a dependency (a Redis or Postgres address) must reach every process that
 * uses it. The sidecars take the launcher's settings (STRATA_REDIS_*, STRATA_PG*, STRATA_DATABASE)
 * from their environment and the apps take them from the stack's secrets file, so the file's
 * addresses are derived from the settings at every start (profiles/common.ts writeSecrets); and
 * an app takes these variables before its secret store (service-kit's config), so one left in
 * the launcher's environment would send that app elsewhere: start-up refuses instead.
 */
export const SECRET_OVERRIDES = {
  DATABASE_URL: Secrets.postgresConnectionString,
  DATABASE_DIRECT_URL: Secrets.postgresDirectConnectionString,
  REDIS_URL: Secrets.redisUrl,
} as const;

/** A URL as it may be printed: without the password of its user part. */
export function redact(value: string): string {
  return value.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * One line per variable (and value) of the apps' environments that disagrees with the secret the
 * rest of the stack uses, naming the apps it would take elsewhere.
 */
export function overrideConflicts(apps: readonly { app: string; env: Record<string, string | undefined> }[], secrets: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [variable, secret] of Object.entries(SECRET_OVERRIDES)) {
    const stack = secrets[secret];
    const byValue = new Map<string, string[]>();
    for (const { app, env } of apps) {
      const given = env[variable];
      if (given === undefined || given === '' || given === stack) continue;
      byValue.set(given, [...(byValue.get(given) ?? []), app]);
    }
    for (const [given, names] of byValue) {
      problems.push(
        `${variable}=${redact(given)} would take ${[...new Set(names)].join(', ')} there, while the sidecars and the secret ${secret} ` +
          `use ${redact(stack ?? '(none)')} (from the settings STRATA_PGHOST, STRATA_PGPORT, STRATA_PGUSER, STRATA_DATABASE, ` +
          `STRATA_REDIS_HOST, STRATA_REDIS_PORT, STRATA_REDIS_DB). Unset ${variable}, or move the stack with those settings.`,
      );
    }
  }
  return problems;
}

/** The derived values that differ from what a secrets file held (a setting changed since the last start). */
export function derivedChanges(existing: Record<string, string>, derived: Record<string, string>): { name: string; was: string; now: string }[] {
  return Object.entries(derived)
    .filter(([name, now]) => existing[name] !== undefined && existing[name] !== now)
    .map(([name, now]) => ({ name, was: existing[name]!, now }));
}
