import type {} from '@strata/testing';
import { type Sidecar, startSidecar } from '@strata/testing/harness';
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway } from './support.js';

// The gateway's deadline on a call, against a service that is slow in each way a real one can be:
// an app registered as `files` behind a real sidecar of its own, in a name-resolution database of
// this test's own (as in startup.int.spec.ts), answering what the gateway forwards to files'
// routes that need no token. It holds an answer back, reads a body that comes slowly, or sends a
// body slowly once its answer has started.

const DEADLINE_MS = 1_500;
const HOLD_MS = 8_000;
const stack = inject('stack');
let dir: string;
let app: Server;
let filesSidecar: Sidecar;
let gatewaySidecar: Sidecar;
let gateway: FastifyInstance & { url: string };
const held = new Set<ServerResponse>();

async function bodyLength(req: IncomingMessage): Promise<number> {
  let bytes = 0;
  for await (const chunk of req) bytes += (chunk as Buffer).length;
  return bytes;
}

async function slowApp(req: IncomingMessage, res: ServerResponse) {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/api/v1/zip/links/held') {
    // the answer never starts before the deadline (a dependency that hangs)
    held.add(res);
    res.once('close', () => held.delete(res));
    await sleep(HOLD_MS);
    if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end('{"late":true}');
    return;
  }
  if (path === '/api/v1/zip/links/read-body') {
    const bytes = await bodyLength(req);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes }));
    return;
  }
  if (path === '/api/v1/zip/links/trickle') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    for (let i = 0; i < 4 && !res.destroyed; i++) {
      res.write(Buffer.alloc(1024, i));
      await sleep(DEADLINE_MS / 2);
    }
    res.end();
    return;
  }
  // Dapr's own questions (/dapr/config, /dapr/subscribe) and anything else
  res.writeHead(404).end();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-gateway-deadline-'));
  const config = readFileSync(stack.daprConfigFile, 'utf8');
  const alone = config.replace(/connectionString:\s*"?[^"\n]*"?/, `connectionString: "${join(dir, 'nameresolution.db')}"`);
  expect(alone, 'the stack configuration names its name-resolution database').not.toBe(config);
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, alone);
  app = createServer((req, res) => void slowApp(req, res));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  filesSidecar = await startSidecar(stack, { appId: 'files', appPort: (app.address() as AddressInfo).port, configFile });
  gatewaySidecar = await startSidecar(stack, { appId: 'gateway', configFile });
  gateway = await startGateway({ DAPR_HTTP_PORT: String(gatewaySidecar.httpPort), RATE_LIMIT_ENABLED: 'false', UPSTREAM_HEADERS_TIMEOUT_MS: String(DEADLINE_MS) }, { listen: true });
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await gatewaySidecar?.stop();
  await filesSidecar?.stop();
  for (const res of held) res.destroy();
  app?.closeAllConnections();
  await new Promise((resolve) => app?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the deadline on a call through the gateway', () => {
  it('answers 504 with Retry-After when the service has not started its answer in time, not a hang', async () => {
    const started = Date.now();
    const res = await fetch(`${gateway.url}/api/v1/zip/links/held`, { signal: AbortSignal.timeout(HOLD_MS - 1_000) });
    const took = Date.now() - started;
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const problem = (await res.json()) as { status: number; detail: string };
    expect(problem).toMatchObject({ status: 504, detail: 'The files service did not answer in time. Try again shortly.' });
    expect(took).toBeGreaterThanOrEqual(DEADLINE_MS - 100);
    expect(took).toBeLessThan(HOLD_MS - 1_000);
  });

  it('does not count the time a long upload takes to arrive: the clock starts when the body has gone', async () => {
    const chunks = 4;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        // 4 × DEADLINE_MS/1.5 apart: the body takes well over the deadline to arrive
        for (let i = 0; i < chunks; i++) {
          controller.enqueue(new Uint8Array(64 * 1024).fill(i));
          await sleep(DEADLINE_MS / 1.5);
        }
        controller.close();
      },
    });
    const started = Date.now();
    const res = await fetch(`${gateway.url}/api/v1/zip/links/read-body`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(Date.now() - started).toBeGreaterThan(DEADLINE_MS * 2);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ bytes: chunks * 64 * 1024 });
  });

  it('lets an answer that has started stream for longer than the deadline', async () => {
    const started = Date.now();
    const res = await fetch(`${gateway.url}/api/v1/zip/links/trickle`);
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(Date.now() - started).toBeGreaterThan(DEADLINE_MS);
    expect(bytes.length).toBe(4 * 1024);
    expect([...new Set(bytes)]).toEqual([0, 1, 2, 3]);
  });
});
