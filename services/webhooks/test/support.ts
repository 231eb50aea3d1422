import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

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

export { partnerToken, registerPartner } from '@strata/testing/harness';
