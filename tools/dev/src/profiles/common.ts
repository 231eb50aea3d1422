import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../paths.js';
import { derivedChanges } from '../settings.js';

/** The local Dapr Configuration, when dapr.yaml names none (it names this one). */
export const LOCAL_DAPR_CONFIG = join(REPO_ROOT, 'dapr', 'config', 'config.yaml');

export interface DaprConfiguration {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec: Record<string, unknown> & { nameResolution?: { component?: string; configuration?: Record<string, unknown> } };
}

export function readConfiguration(file: string): DaprConfiguration {
  return parse(readFileSync(file, 'utf8')) as DaprConfiguration;
}

/**
 * The local name resolution (dapr/config/config.yaml: the sqlite resolver, as mDNS does not work
 * on a loopback-only machine), pointed at this stack's database. Kubernetes DNS plays this part on AKS.
 */
export function stackNameResolution(localConfig: string, nameResolutionDb: string): NonNullable<DaprConfiguration['spec']['nameResolution']> {
  const local = readConfiguration(localConfig).spec.nameResolution ?? {};
  return { ...local, configuration: { ...local.configuration, connectionString: nameResolutionDb } };
}

/**
 * Writes the secrets file the stack's secret store reads, and returns the derived values that
 * changed since the file was last written (a setting moved a dependency). `generated` values already in the file
 * are kept (an operator may edit them; signing keys stay valid over a restart); `derived` values
 * (addresses, passwords of infrastructure made anew at each start) are always written.
 */
export function writeSecrets(file: string, generated: Record<string, string>, derived: Record<string, string> = {}): { name: string; was: string; now: string }[] {
  let existing: Record<string, string> = {};
  if (existsSync(file)) existing = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const merged = { ...generated, ...existing, ...derived };
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o600 });
  return derivedChanges(existing, derived);
}
