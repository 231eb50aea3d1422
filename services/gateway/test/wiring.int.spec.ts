import { AppIds, Components, Topics } from '@strata/contracts';
import { DaprClient } from '@strata/dapr';
import { randomUUID } from 'node:crypto';
import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';

const stack = inject('stack');
const gateway = stack.gatewayUrl;
/** The gateway's internal listener: probes, metrics, operator views (loopback callers only for the views). */
const operator = `http://127.0.0.1:${stack.apps[AppIds.gateway]!.internalPort}`;

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('every app and its sidecar', () => {
  it.each(Object.entries(stack.apps))('%s is ready, exposes metrics on its internal listener, and its sidecar is healthy', async (appId, ports) => {
    const ready = await fetch(`http://127.0.0.1:${ports.internalPort}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { sidecar: { ok: true } } });
    expect((await fetch(`http://127.0.0.1:${ports.internalPort}/health/live`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.daprHttpPort}/v1.0/healthz`)).status).toBe(204);

    const metrics = await fetch(`http://127.0.0.1:${ports.internalPort}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain(`http_requests_total{method="GET",route="/health/ready",status="200",app="${appId}"}`);
    expect(text).toContain('http_request_duration_seconds_bucket');
    // the main listener never serves metrics
    expect((await fetch(`http://127.0.0.1:${ports.appPort}/metrics`)).status).toBe(404);
  });
});

describe('service invocation', () => {
  it('the gateway reaches every service through its sidecar', async () => {
    const res = await fetch(`${operator}/health/upstreams`);
    const body = (await res.json()) as { upstreams: Record<string, { ok: boolean; status: number; body: unknown }> };
    expect(res.status).toBe(200);
    for (const appId of [AppIds.files, AppIds.sessions, AppIds.ratelimit, AppIds.ui]) {
      expect(body.upstreams[appId]).toMatchObject({ ok: true, status: 200, body: { status: 'ready' } });
    }
  });

  it('the gateway serves the UI at / through the ui app', async () => {
    const res = await fetch(`${gateway}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    // the app shell: SvelteKit's client takes over from here
    const html = await res.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('/_app/immutable/');
  });

  it('unknown API paths are problem+json 404s, not the UI', async () => {
    const res = await fetch(`${gateway}/api/v1/no-such-thing`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(await res.json()).toMatchObject({ status: 404, title: 'Not found' });
  });
});

describe('only the sidecar may call an app’s /dapr routes', () => {
  // the sidecar talks to the gateway's internal listener, and to every other app's main one
  const channelOf = (appId: string, ports: { appPort: number; internalPort: number }) => (appId === AppIds.gateway ? ports.internalPort : ports.appPort);
  // apps that subscribe to topics serve /dapr/subscribe; the others have no /dapr route at all
  // (the ui's pages are a catch-all, which on its app channel needs the token too)
  const subscribes = new Set([AppIds.gateway, AppIds.sessions, AppIds.ui, AppIds.insights, AppIds.webhooks]);
  it.each(Object.entries(stack.apps))('%s refuses /dapr calls without the sidecar’s token', async (appId, ports) => {
    const url = `http://127.0.0.1:${channelOf(appId, ports)}/dapr/subscribe`;
    const res = await fetch(url);
    expect(res.status).toBe(subscribes.has(appId as never) ? 401 : 404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const wrong = await fetch(url, { headers: { 'dapr-api-token': 'x'.repeat(stack.appApiToken.length) } });
    expect(wrong.status).toBe(res.status);
    const sidecar = await fetch(url, { headers: { 'dapr-api-token': stack.appApiToken } });
    expect(sidecar.status).toBe(appId === AppIds.ui ? 404 : subscribes.has(appId as never) ? 200 : 404);
  });

  it.each(Object.entries(stack.apps))('%s refuses /dapr calls that are service invocations from another app', async (appId) => {
    // the sidecar presents its token on invocations too: only its own deliveries lack a caller app-id
    const caller = new DaprClient({ httpPort: stack.apps[AppIds.files]!.daprHttpPort });
    const res = await caller.invoke(appId, 'dapr/subscribe');
    expect(res.status).toBe(404);
  });
});

describe('pub/sub', () => {
  it('every service announces itself and the gateway hears it', async () => {
    const instances = await eventually('heartbeats of every service', async () => {
      const res = await fetch(`${operator}/health/instances`);
      const body = (await res.json()) as { instances: Record<string, unknown[]> };
      const seen = [AppIds.gateway, AppIds.files, AppIds.sessions, AppIds.ratelimit, AppIds.insights].every(
        (id) => (body.instances[id]?.length ?? 0) > 0,
      );
      return seen ? body.instances : undefined;
    });
    expect(instances[AppIds.files]![0]).toMatchObject({ appId: AppIds.files, ready: true });
  });

  it('a message published by the files app reaches the gateway subscription', async () => {
    const instanceId = randomUUID();
    const files = new DaprClient({ httpPort: stack.apps[AppIds.files]!.daprHttpPort });
    const now = new Date().toISOString();
    await files.publish(Components.pubsub, Topics.serviceHeartbeat, {
      appId: AppIds.files,
      instanceId,
      host: 'wiring-test',
      pid: 1,
      startedAt: now,
      sentAt: now,
      ready: true,
    });
    const delivered = await eventually(
      'the published heartbeat at the gateway',
      async () => {
        const body = (await (await fetch(`${operator}/health/instances`)).json()) as {
          instances: Record<string, { instanceId: string; host: string }[]>;
        };
        return body.instances[AppIds.files]?.find((i) => i.instanceId === instanceId);
      },
      5_000,
    );
    expect(delivered.host).toBe('wiring-test');
  });
});
