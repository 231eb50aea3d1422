/**
 * files started beside a sidecar whose Dapr Configuration leaves a secret it reads out of the
 * secret scope (deploy/dapr/config/files.yaml without redis-url, as deploy/ shipped it before):
 * start-up stops with one line that names the secret, the app and the scope, and the process
 * exits non-zero once, instead of a stack trace or a process that keeps trying.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppManifests, Secrets } from '@strata/contracts';
import type {} from '@strata/testing';
import { type Sidecar, freePort, startSidecar } from '@strata/testing/harness';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';

const stack = inject('stack');
const REPO = new URL('../../..', import.meta.url).pathname;
let sidecar: Sidecar | undefined;

afterAll(async () => {
  await sidecar?.stop();
});

/** The stack's Configuration with deploy/'s files secret scope, less `missing`. */
function configurationWithout(missing: string): string {
  const config = parse(readFileSync(stack.daprConfigFile, 'utf8')) as { spec: Record<string, unknown> };
  const deployed = parse(readFileSync(join(REPO, 'deploy/dapr/config/files.yaml'), 'utf8')) as {
    spec: { secrets: { scopes: { storeName: string; defaultAccess: string; allowedSecrets: string[] }[] } };
  };
  const scopes = deployed.spec.secrets.scopes.map((s) => ({ ...s, allowedSecrets: s.allowedSecrets.filter((n) => n !== missing) }));
  const file = join(stack.runDir, `files-without-${missing}.yaml`);
  writeFileSync(file, stringify({ ...config, spec: { ...config.spec, secrets: { scopes } } }));
  return file;
}

/** The stack's secret store alone, scoped to the test's sidecar too (nothing else is needed to fail). */
function secretStoreFor(appId: string): string {
  const source = stack.resourcesPaths.map((dir) => join(dir, 'secretstore.yaml')).find((file) => existsSync(file));
  if (!source) throw new Error(`no secretstore.yaml in ${stack.resourcesPaths.join(', ')}`);
  const component = parse(readFileSync(source, 'utf8')) as { scopes?: string[] };
  const dir = join(stack.runDir, 'scope-test-components');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'secretstore.yaml'), stringify({ ...component, scopes: [...(component.scopes ?? []), appId] }));
  return dir;
}

/** Runs files' server.ts to its end; what it printed and how it exited. */
function runFiles(daprHttpPort: number, port: number): Promise<{ code: number | null; signal: string | null; stderr: string; stdout: string; ms: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'BLOB_ACCOUNT_URL', 'DAPR_API_TOKEN']) delete env[name];
  const started = Date.now();
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/server.ts'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: {
      ...env,
      PORT: String(port),
      INTERNAL_PORT: '0',
      APP_ID: 'files',
      DAPR_HTTP_PORT: String(daprHttpPort),
      BLOB_CONNECTION_STRING: stack.blobConnectionString,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      JOBS_INTERVAL_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stderr, stdout, ms: Date.now() - started });
    }),
  );
}

describe('a secret the Dapr Configuration does not let files read', () => {
  it('stops start-up with one clear line naming the secret, the app and the scope, and exit 78, once', async () => {
    expect(AppManifests.files.secrets).toContain(Secrets.redisUrl);
    // its own app-id, so that nothing the stack runs is sent to it
    const appId = 'files-scope-test';
    sidecar = await startSidecar(stack, { appId, configFile: configurationWithout(Secrets.redisUrl), resourcesPaths: [secretStoreFor(appId)] });
    const outcome = await runFiles(sidecar.httpPort, await freePort());

    expect(outcome.signal).toBeNull();
    expect(outcome.code).toBe(78);
    const lines = outcome.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^files cannot start: the secret "redis-url" is denied to app-id "files" by the secret scope of its Dapr Configuration \(store "secretstore"/);
    expect(lines[0]).toContain('deploy/dapr/config/files.yaml');
    // no stack trace anywhere, and nothing logged as a crash
    expect(`${outcome.stdout}\n${outcome.stderr}`).not.toMatch(/^\s+at /m);
    // and the sidecar still runs: the app gave up, nothing else did
    expect(sidecar.child.exitCode).toBeNull();
  });
});
