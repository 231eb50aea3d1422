import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestStackInfo } from '@strata/testing';
import { startSidecar } from '@strata/testing/harness';

const REPO_ROOT = new URL('../../..', import.meta.url).pathname;
const run = promisify(execFile);

/** A sidecar for a partner's own app-id, with no app behind it: the partner only calls out, through service invocation. */
export async function startPartnerSidecar(stack: TestStackInfo, appId = 'partner-example') {
  const sidecar = await startSidecar(stack, { appId });
  return {
    /** Calls the files service through this sidecar: /v1.0/invoke/files/method/<path>. */
    invokeFiles: (path: string, init: RequestInit = {}) => fetch(`${sidecar.url}/v1.0/invoke/files/method${path}`, init),
    stop: () => sidecar.stop(),
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
