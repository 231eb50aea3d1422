/**
 * The dashboards (deploy/grafana) and the alert rules (k8s/monitoring/alerts.yaml) name only
 * metrics that exist: the running stack is made to do the things they watch (a user signs in,
 * uploads a file, watches it arrive on the live stream, is refused once), then every app's
 * /metrics (its internal listener, where the PodMonitor scrapes) and every sidecar's metrics port
 * are scraped, and each metric a dashboard or a rule reads must be in them: an app's dashboard in
 * that app's or its sidecar's scrape.
 */
import type {} from '@strata/testing';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_APP_IDS } from '@strata/contracts';
import { Client, eventually, openEventStream } from '@strata/testing/client';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readPrometheusRule } from '../src/alert-rules.js';
import { DASHBOARD_DIR, dashboardExprs, metricNames } from '../src/dashboards.js';

const stack = inject('stack');

/**
 * Metrics that no app of this stack can show, and where they come from on AKS: Dapr's Sentry
 * (the mTLS authority) runs in the cluster's dapr-system namespace, not beside the local stack,
 * and a sidecar counts certificate renewals only with mTLS on (the prod-like profile).
 */
const ELSEWHERE: Record<string, string> = {
  dapr_sentry_issuercert_expiry_timestamp: "Dapr Sentry's own metrics (dapr-system)",
  dapr_runtime_mtls_workload_cert_rotated_fail_total: 'a sidecar with mTLS on (prod-like profile, AKS)',
  up: 'Prometheus itself, one per scrape target (AppDown, AppNotScraped)',
};

/** Metric names in a Prometheus text exposition (a histogram's _bucket, _sum and _count as written). */
function names(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )/.exec(line);
    if (match) out.add(match[1]!);
  }
  return out;
}

/** The value of the series `name` whose labels include `labels`, summed over the others. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(match[3]);
  }
  return total;
}

const scrapes = new Map<string, { app: Set<string>; sidecar: Set<string>; appText: string }>();

beforeAll(async () => {
  const alice = await Client.user(stack);
  const stream = await openEventStream(stack.gatewayUrl, alice.accessToken!);
  try {
    const uploaded = await alice.upload('observed.txt', randomBytes(2048), { type: 'text/plain' });
    expect(uploaded.status).toBe(201);
    const fileId = (uploaded.json as { id: string }).id;
    await eventually('FileUploaded on the live stream', async () => (stream.events.some((e) => e.event === 'FileUploaded' && e.data.includes(fileId)) ? true : undefined), 15_000);
    // one refusal, so an error status is in the request metrics
    expect((await new Client(stack.gatewayUrl).call('GET', '/api/v1/files')).status).toBe(401);
    // a limit decided, as the gateway asks through its sidecar when limits are on
    const decided = await fetch(`http://127.0.0.1:${stack.apps.gateway!.daprHttpPort}/v1.0/invoke/ratelimit/method/v1/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(stack.daprApiToken ? { 'dapr-api-token': stack.daprApiToken } : {}) },
      body: JSON.stringify({ routeClass: 'api', subject: { kind: 'user', id: alice.userId } }),
    });
    expect(decided.status).toBe(200);
    // insights has read the upload
    const insights = stack.apps.insights!.internalPort;
    await eventually('insights indexed the upload', async () => {
      const text = await (await fetch(`http://127.0.0.1:${insights}/metrics`)).text();
      return sample(text, 'insights_documents_total', {}) > 0 ? true : undefined;
    }, 60_000);
    // a readiness probe on each app, as the kubelet makes
    for (const app of ALL_APP_IDS) await fetch(`http://127.0.0.1:${stack.apps[app]!.internalPort}/health/ready`);
    for (const app of ALL_APP_IDS) {
      const ports = stack.apps[app]!;
      const appText = await (await fetch(`http://127.0.0.1:${ports.internalPort}/metrics`)).text();
      const sidecarText = await (await fetch(`http://127.0.0.1:${ports.metricsPort}/`)).text();
      scrapes.set(app, { app: names(appText), sidecar: names(sidecarText), appText });
    }
  } finally {
    await stream.close();
  }
}, 120_000);

describe('dashboards and alert rules against a live scrape', () => {
  it('every app serves its metrics on the internal listener, and its sidecar on the metrics port', () => {
    for (const app of ALL_APP_IDS) {
      const scrape = scrapes.get(app)!;
      expect(scrape.app, app).toContain('http_requests_total');
      expect(scrape.app, app).toContain('process_cpu_limit_cores');
      expect(scrape.sidecar.size, `${app}'s sidecar`).toBeGreaterThan(10);
    }
  });

  it.each(ALL_APP_IDS)("the %s dashboard reads only metrics that app or its sidecar exposes", (app) => {
    const scrape = scrapes.get(app)!;
    const exprs = dashboardExprs(readFileSync(join(DASHBOARD_DIR, `${app}.json`), 'utf8'));
    expect(exprs.length).toBeGreaterThan(8);
    const missing = [...new Set(exprs.flatMap(metricNames))].filter((m) => !scrape.app.has(m) && !scrape.sidecar.has(m));
    expect(missing).toEqual([]);
  });

  it('every alert rule reads metrics that some app or sidecar exposes (Sentry and mTLS ones aside, named)', () => {
    const all = new Set([...scrapes.values()].flatMap((s) => [...s.app, ...s.sidecar]));
    const rules = readPrometheusRule().spec.groups.flatMap((g) => g.rules);
    const used = [...new Set(rules.flatMap((r) => metricNames(r.expr)))];
    expect(used.length).toBeGreaterThan(15);
    expect(used.filter((m) => !all.has(m) && !(m in ELSEWHERE))).toEqual([]);
    // the exceptions are used, so that none stays listed after its rule is gone
    for (const m of Object.keys(ELSEWHERE)) expect(used).toContain(m);
  });

  it('the upload, the delivery, the refusal and the user are counted', () => {
    const files = scrapes.get('files')!.appText;
    expect(sample(files, 'files_uploads_total', { via: 'multipart', outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(sample(files, 'files_upload_bytes_total', { via: 'multipart' })).toBeGreaterThanOrEqual(2048);
    expect(sample(files, 'event_relay_published_total', { topic: 'files.events' })).toBeGreaterThanOrEqual(1);
    const gateway = scrapes.get('gateway')!.appText;
    expect(sample(gateway, 'subscription_deliveries_total', { topic: 'files.events', outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(sample(gateway, 'http_requests_total', { status: '401' })).toBeGreaterThanOrEqual(1);
    expect(sample(gateway, 'gateway_active_users', { window: '5m' })).toBeGreaterThanOrEqual(1);
    expect(sample(gateway, 'gateway_sse_events_sent_total', {})).toBeGreaterThanOrEqual(1);
    expect(sample(scrapes.get('ratelimit')!.appText, 'ratelimit_script_duration_seconds_count', {})).toBeGreaterThanOrEqual(1);
    // every replica of an app with Postgres sees the server's connections, this stack's among them
    expect(sample(scrapes.get('sessions')!.appText, 'postgres_server_connections', {})).toBeGreaterThan(3);
  });
});
