import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestStackInfo } from '@strata/testing';
import { Webhook } from 'standardwebhooks';

const REPO_ROOT = new URL('../../..', import.meta.url).pathname;
const run = promisify(execFile);

/** The one address the test stack's webhooks may reach (WEBHOOK_ALLOWED_TARGETS in tools/dev's test stack). */
export const RECEIVER_HOST = '127.0.0.2';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  type: string;
  data: Record<string, unknown>;
  /** The secrets (by name) whose signature the Standard Webhooks library accepted. */
  verifiedWith: string[];
}

/**
 * A partner's webhook receiver on 127.0.0.2: each message is checked with the Standard Webhooks
 * reference library (`standardwebhooks` from npm) against every secret it knows; a message no
 * secret verifies is answered 401 and not kept. `stop()` takes it down (connections refused),
 * `start()` brings it back on the same port.
 */
export class Receiver {
  readonly received: Received[] = [];
  readonly refused: string[] = [];
  readonly secrets = new Map<string, string>();
  /** Answer this status instead of 204 (a receiver that fails). */
  failWith: number | undefined;
  private server: Server | undefined;
  port = 0;

  get url(): string {
    return `http://${RECEIVER_HOST}:${this.port}/hook`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req).then((status) => res.writeHead(status).end()));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, RECEIVER_HOST, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = { 'webhook-id': String(req.headers['webhook-id']), 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) };
    const verifiedWith: string[] = [];
    for (const [name, secret] of this.secrets) {
      try {
        new Webhook(secret).verify(body, headers);
        verifiedWith.push(name);
      } catch {
        // not this secret
      }
    }
    if (verifiedWith.length === 0) {
      this.refused.push(headers['webhook-id']);
      return 401;
    }
    if (this.failWith) return this.failWith;
    const parsed = JSON.parse(body) as { type: string; data: Record<string, unknown> };
    this.received.push({ id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], type: parsed.type, data: parsed.data, verifiedWith });
    return 204;
  }
}

/** Registers a partner client with the sessions service's own script and returns its credentials. */
export async function registerPartner(stack: TestStackInfo, scopes: string) {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'scripts/register-partner.ts', '--name', 'Webhook Partner', '--scopes', scopes],
    { cwd: join(REPO_ROOT, 'services/sessions'), env: { ...process.env, DATABASE_URL: stack.databaseUrl } },
  );
  const clientId = /client_id:\s+(\S+)/.exec(stdout)?.[1];
  const clientSecret = /client_secret:\s+(\S+)/.exec(stdout)?.[1];
  if (!clientId || !clientSecret) throw new Error(`unexpected output: ${stdout}`);
  return { clientId, clientSecret };
}

/** A client-credential token, straight from sessions (the gateway allows an address few token calls a minute). */
export async function partnerToken(stack: TestStackInfo, clientId: string, clientSecret: string, scope: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${stack.apps.sessions!.appPort}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'dapr-api-token': stack.appApiToken },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope }).toString(),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
