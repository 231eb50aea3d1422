import type {} from '@strata/testing';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { GO_MODULE, goTest } from './go.js';

const stack = inject('stack');
const run = promisify(execFile);

/** A partner client registered the way an operator does it (the sessions service's script). */
async function registerPartner(name: string) {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'scripts/register-partner.ts', '--name', name, '--scopes', 'files:read,files:write'],
    { cwd: join(GO_MODULE, '..', '..', 'services', 'sessions'), env: { ...process.env, DATABASE_URL: stack.databaseUrl } },
  );
  const clientId = /client_id:\s+(\S+)/.exec(stdout)?.[1];
  const clientSecret = /client_secret:\s+(\S+)/.exec(stdout)?.[1];
  if (!clientId || !clientSecret) throw new Error(`unexpected output: ${stdout}`);
  return { clientId, clientSecret };
}

/** A user registered at the sessions service itself (the gateway allows an address few registrations a minute). */
async function registerUser() {
  const email = `go-cli-${randomUUID()}@example.test`;
  const password = 'correct horse battery staple';
  const res = await fetch(`http://127.0.0.1:${stack.apps.sessions!.appPort}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'dapr-api-token': stack.appApiToken },
    body: JSON.stringify({ email, password, displayName: 'Go CLI' }),
  });
  if (!res.ok) throw new Error(`register: ${res.status} ${await res.text()}`);
  return { email, password };
}

describe('the Go SDK and the strata CLI against the test stack', () => {
  it('go test -tags integration: login, ls, put, get, rm, search, events --follow, and a 256 MiB put killed and resumed', async () => {
    const partner = await registerPartner('Go CLI');
    const other = await registerPartner('Go CLI (another)');
    const user = await registerUser();
    const { code, output } = await goTest(['-tags', 'integration', '-v', '-timeout', '14m', './cmd/strata/'], {
      STRATA_URL: stack.gatewayUrl,
      STRATA_CLIENT_ID: partner.clientId,
      STRATA_CLIENT_SECRET: partner.clientSecret,
      STRATA_OTHER_CLIENT_ID: other.clientId,
      STRATA_OTHER_CLIENT_SECRET: other.clientSecret,
      STRATA_EMAIL: user.email,
      STRATA_PASSWORD: user.password,
    });
    process.stdout.write(output);
    expect(output).toMatch(/--- PASS: TestPutResumesAfterAKill/);
    expect(output).not.toMatch(/--- (FAIL|SKIP)/);
    expect(code, output).toBe(0);
  }, 15 * 60_000);
});
