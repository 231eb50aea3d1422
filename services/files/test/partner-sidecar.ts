import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestStackInfo } from '@strata/testing';
import { freePort } from './tus.js';

const REPO_ROOT = new URL('../../..', import.meta.url).pathname;
const run = promisify(execFile);

/**
 * The daprd the stack runs: DAPRD_PATH, an installed Dapr, or the binary of one of the stack's
 * own sidecars (tools/dev builds and caches it; its pids are in the run folder).
 */
function findDaprd(stack: TestStackInfo): string {
  if (process.env.DAPRD_PATH) return process.env.DAPRD_PATH;
  const installed = join(homedir(), '.dapr', 'bin', 'daprd');
  if (existsSync(installed)) return installed;
  const pids = JSON.parse(readFileSync(join(stack.runDir, 'pids.json'), 'utf8')) as number[];
  for (const pid of pids) {
    try {
      const exe = readlinkSync(`/proc/${pid}/exe`);
      if (exe.endsWith('/daprd')) return exe;
    } catch {
      // gone, or not ours to read
    }
  }
  throw new Error('no daprd found: set DAPRD_PATH');
}

/**
 * A sidecar for a partner's own app-id, started the way tools/dev/src/stack.ts starts the stack's
 * (same components, the stack's generated configuration and name-resolution database), with no
 * app behind it: the partner only calls out, through service invocation.
 */
export async function startPartnerSidecar(stack: TestStackInfo, appId = 'partner-example') {
  const [http, grpc, internal, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const child: ChildProcess = spawn(
    findDaprd(stack),
    [
      '--app-id', appId,
      '--dapr-http-port', String(http),
      '--dapr-grpc-port', String(grpc),
      '--dapr-internal-grpc-port', String(internal),
      '--metrics-port', String(metrics),
      '--dapr-listen-addresses', '127.0.0.1',
      '--dapr-internal-grpc-listen-address', '127.0.0.1',
      '--metrics-listen-address', '127.0.0.1',
      '--config', join(stack.runDir, 'dapr-config.yaml'),
      '--resources-path', join(REPO_ROOT, 'dapr/components'),
      '--resources-path', join(REPO_ROOT, 'dapr/config'),
      '--log-level', 'warn',
    ],
    {
      cwd: stack.runDir,
      env: { ...process.env, STRATA_SECRETS_FILE: join(stack.runDir, 'secrets.json'), STRATA_REDIS_HOST: new URL(stack.redisUrl).host, STRATA_REDIS_DB: new URL(stack.redisUrl).pathname.slice(1) || '0' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${http}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`partner daprd exited with ${child.exitCode}`);
    const status = await fetch(`${url}/v1.0/healthz/outbound`).then((r) => r.status, () => 0);
    if (status === 204) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('partner daprd not ready after 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    /** Calls the files service through this sidecar: /v1.0/invoke/files/method/<path>. */
    invokeFiles: (path: string, init: RequestInit = {}) => fetch(`${url}/v1.0/invoke/files/method${path}`, init),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Registers a partner client with the sessions service's own script and returns its credentials. */
export async function registerPartner(stack: TestStackInfo, scopes: string) {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'scripts/register-partner.ts', '--name', 'Partner Example', '--scopes', scopes],
    { cwd: join(REPO_ROOT, 'services/sessions'), env: { ...process.env, DATABASE_URL: stack.databaseUrl } },
  );
  const clientId = /client_id:\s+(\S+)/.exec(stdout)?.[1];
  const clientSecret = /client_secret:\s+(\S+)/.exec(stdout)?.[1];
  if (!clientId || !clientSecret) throw new Error(`unexpected output: ${stdout}`);
  return { clientId, clientSecret };
}

export async function partnerToken(stack: TestStackInfo, clientId: string, clientSecret: string, scope: string): Promise<string> {
  // straight to sessions, like Client.user: the gateway allows an address few token calls a minute
  const res = await fetch(`http://127.0.0.1:${stack.apps.sessions!.appPort}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'dapr-api-token': stack.appApiToken },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope }).toString(),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
