import type {} from '@strata/testing';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

const stack = inject('stack');
const run = promisify(execFile);

async function registerPartner(scopes: string) {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'scripts/register-partner.ts', '--name', 'Acme Archive', '--scopes', scopes],
    { cwd: new URL('..', import.meta.url).pathname, env: { ...process.env, DATABASE_URL: stack.databaseUrl } },
  );
  const clientId = /client_id:\s+(\S+)/.exec(stdout)?.[1];
  const clientSecret = /client_secret:\s+(\S+)/.exec(stdout)?.[1];
  if (!clientId || !clientSecret) throw new Error(`unexpected output: ${stdout}`);
  return { clientId, clientSecret };
}

const token = (body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${stack.gatewayUrl}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body).toString(),
  });

describe('partner clients (OAuth 2.0 client credentials)', () => {
  it('a registered client gets a scoped token, with its secret in the body or in HTTP Basic', async () => {
    const { clientId, clientSecret } = await registerPartner('files:read,files:write');

    const res = await token({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'files:read' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'files:read' });
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: clientId, kind: 'partner', scope: 'files:read', plan: 'partner' });

    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    const viaBasic = await token({ grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` });
    expect(viaBasic.status).toBe(200);
    expect(((await viaBasic.json()) as { scope: string }).scope).toBe('files:read files:write');
    // RFC 6749 2.3.1 form-encodes each half before base64: a percent-encoded id reads the same
    const encoded = Buffer.from(`${clientId.replaceAll('-', '%2D')}:${clientSecret}`).toString('base64');
    expect((await token({ grant_type: 'client_credentials' }, { authorization: `Basic ${encoded}` })).status).toBe(200);

    // a partner token is not a user: user-only routes refuse it
    const me = await fetch(`${stack.gatewayUrl}/api/v1/me`, { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(me.status).toBe(403);
  });

  it('refuses a wrong secret, an unknown client, a scope not granted and another grant type', async () => {
    const { clientId, clientSecret } = await registerPartner('files:read');
    const wrong = await token({ grant_type: 'client_credentials', client_id: clientId, client_secret: `${clientSecret}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });

    const unknown = await token({ grant_type: 'client_credentials', client_id: 'nobody-here', client_secret: clientSecret });
    expect(unknown.status).toBe(401);

    const scope = await token({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'files:write' });
    expect(scope.status).toBe(400);
    expect(await scope.json()).toMatchObject({ error: 'invalid_scope' });

    const grant = await token({ grant_type: 'password', client_id: clientId, client_secret: clientSecret });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });
});
