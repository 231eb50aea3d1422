/**
 * One Grafana dashboard per app (deploy/grafana/<app>.json), written from the panels below so
 * that every dashboard has the same rows (requests, latency, errors, saturation, its sidecar) and
 * each adds its own (events, uploads, limits, live streams, indexing). `npm run dashboards -w
 * @strata/deploy` writes them; a unit test fails when the files differ from this, and an
 * integration test scrapes the running stack for every metric they name
 * (deploy/test/observability.int.spec.ts).
 */
import { join } from 'node:path';
import { ALL_APP_IDS, type AppId } from '@strata/contracts';
import { DEPLOY_DIR } from './versions.js';

export const DASHBOARD_DIR = join(DEPLOY_DIR, 'grafana');

interface Panel {
  title: string;
  /** PromQL, `$app` for the dashboard's app. */
  exprs: { expr: string; legend: string }[];
  unit?: string;
  /** Half width (12 of 24 columns) unless wide. */
  wide?: boolean;
}
interface Row {
  title: string;
  panels: Panel[];
}

const q = (expr: string, legend: string) => ({ expr, legend });
const SELF = 'app="$app"';

const requests: Row = {
  title: 'Requests',
  panels: [
    { title: 'Requests per second by route', unit: 'reqps', exprs: [q(`sum by (route) (rate(http_requests_total{${SELF}}[5m]))`, '{{route}}')] },
    {
      title: 'Latency p50 / p95 / p99 (probes and the live stream left out)',
      unit: 's',
      exprs: [0.5, 0.95, 0.99].map((p) =>
        q(`histogram_quantile(${p}, sum by (le) (rate(http_request_duration_seconds_bucket{${SELF},route!~"/health/.*|/metrics|/api/v1/events"}[5m])))`, `p${p * 100}`),
      ),
    },
    {
      title: 'Errors: 5xx ratio and 4xx per second',
      unit: 'percentunit',
      exprs: [
        q(`sum(rate(http_requests_total{${SELF},status=~"5.."}[5m])) / sum(rate(http_requests_total{${SELF}}[5m]))`, '5xx ratio'),
        q(`sum by (status) (rate(http_requests_total{${SELF},status=~"4.."}[5m]))`, '{{status}} /s'),
      ],
    },
    { title: 'Readiness (1 ready) and its changes', exprs: [q(`min by (pod) (health_ready{${SELF}})`, '{{pod}}'), q(`sum(increase(health_ready_transitions_total{${SELF}}[15m]))`, 'changes in 15 min')] },
  ],
};

const saturation = (has: { postgres: boolean; redis: boolean }): Row => ({
  title: 'Saturation',
  panels: [
    { title: 'CPU used of the limit', unit: 'percentunit', exprs: [q(`rate(process_cpu_seconds_total{${SELF}}[5m]) / process_cpu_limit_cores{${SELF}}`, '{{pod}}')] },
    { title: 'Memory (resident) and heap', unit: 'bytes', exprs: [q(`process_resident_memory_bytes{${SELF}}`, 'rss {{pod}}'), q(`sum by (pod) (nodejs_heap_size_used_bytes{${SELF}})`, 'heap {{pod}}')] },
    { title: 'Event loop lag p99', unit: 's', exprs: [q(`nodejs_eventloop_lag_p99_seconds{${SELF}}`, '{{pod}}')] },
    ...(has.redis ? [{ title: 'Redis connection errors per second', unit: 'short', exprs: [q(`sum(rate(redis_errors_total{${SELF}}[5m]))`, 'errors/s')] }] : []),
    ...(has.postgres
      ? [
          {
            title: 'Postgres pool: in use, waiting, max',
            exprs: [
              q(`sum by (pool) (postgres_pool_total{${SELF}} - postgres_pool_idle{${SELF}})`, 'in use {{pool}}'),
              q(`sum by (pool) (postgres_pool_waiting{${SELF}})`, 'waiting {{pool}}'),
              q(`max by (pool) (postgres_pool_max{${SELF}})`, 'max {{pool}}'),
            ],
          },
          { title: "The server's connections (alert over 180)", exprs: [q(`max(postgres_server_connections{${SELF}})`, 'connections'), q('vector(180)', 'alert')] },
        ]
      : []),
  ],
});

/** The sidecar's calls, and its pub/sub where the app publishes (heartbeats, the relay) or subscribes. */
const sidecar = (pubsub: { out: boolean; in: boolean }): Row => ({
  title: 'Sidecar (daprd)',
  panels: [
    { title: 'Calls the sidecar served, by status', unit: 'reqps', exprs: [q('sum by (status) (rate(dapr_http_server_request_count{app_id="$app"}[5m]))', '{{status}}')] },
    ...(pubsub.out || pubsub.in
      ? [
          {
            title: 'Pub/sub through the sidecar, by topic: published (success) and delivered (process status)',
            exprs: [
              ...(pubsub.out ? [q('sum by (topic, success) (rate(dapr_component_pubsub_egress_count{app_id="$app"}[5m]))', 'out {{topic}} {{success}}')] : []),
              ...(pubsub.in ? [q('sum by (topic, process_status) (rate(dapr_component_pubsub_ingress_count{app_id="$app"}[5m]))', 'in {{topic}} {{process_status}}')] : []),
            ],
          },
        ]
      : []),
  ],
});

const relay: Row = {
  title: 'Events published',
  panels: [
    { title: 'Relay lag (alert over 60 s)', unit: 's', exprs: [q(`max by (topic) (event_relay_lag_seconds{${SELF}})`, '{{topic}}')] },
    { title: 'Relay backlog and published per second', exprs: [q(`max by (topic) (event_relay_backlog{${SELF}})`, 'backlog {{topic}}'), q(`sum by (topic) (rate(event_relay_published_total{${SELF}}[5m]))`, 'published/s {{topic}}')] },
    { title: 'Publish failures and the relaying replica', exprs: [q(`sum(rate(event_relay_publish_failures_total{${SELF}}[5m]))`, 'failures/s'), q(`max by (pod) (event_relay_leader{${SELF}})`, 'leader {{pod}}')] },
  ],
};

const deliveries: Row = {
  title: 'Events received',
  panels: [
    { title: 'Deliveries by topic and outcome', wide: true, exprs: [q(`sum by (topic, outcome) (rate(subscription_deliveries_total{${SELF}}[5m]))`, '{{topic}} {{outcome}}')] },
    { title: 'Handling time p99 by topic', unit: 's', exprs: [q(`histogram_quantile(0.99, sum by (topic, le) (rate(subscription_handling_seconds_bucket{${SELF}}[5m])))`, '{{topic}}')] },
  ],
};

const ROWS: Record<AppId, Row[]> = {
  gateway: [
    requests,
    {
      title: 'Users, limits and live streams',
      panels: [
        { title: 'Active users (5 min, 1 h)', exprs: [q(`max by (window) (gateway_active_users{${SELF}})`, '{{window}}')] },
        { title: 'Limiter decisions by outcome and source', exprs: [q(`sum by (outcome, source) (rate(gateway_ratelimit_decisions_total{${SELF}}[5m]))`, '{{outcome}} {{source}}')] },
        { title: 'Limiter fallback active (ratelimit not answering)', exprs: [q(`max(gateway_ratelimit_fallback_active{${SELF}})`, 'fallback')] },
        { title: 'Live streams open and events sent', exprs: [q(`sum(gateway_sse_connections{${SELF}})`, 'open'), q(`sum(rate(gateway_sse_events_sent_total{${SELF}}[5m]))`, 'sent/s')] },
      ],
    },
    deliveries,
    saturation({ postgres: false, redis: true }),
    sidecar({ out: true, in: true }),
  ],
  files: [
    requests,
    {
      title: 'Uploads',
      panels: [
        {
          title: 'Upload success rate',
          unit: 'percentunit',
          exprs: [q(`sum(rate(files_uploads_total{${SELF},outcome="success"}[5m])) / sum(rate(files_uploads_total{${SELF}}[5m]))`, 'success')],
        },
        { title: 'Uploads by way in and outcome', exprs: [q(`sum by (via, outcome) (rate(files_uploads_total{${SELF}}[5m]))`, '{{via}} {{outcome}}')] },
        { title: 'Bytes uploaded per second', unit: 'Bps', exprs: [q(`sum by (via) (rate(files_upload_bytes_total{${SELF}}[5m]))`, '{{via}}')] },
      ],
    },
    relay,
    saturation({ postgres: true, redis: true }),
    sidecar({ out: true, in: false }),
  ],
  sessions: [
    requests,
    relay,
    {
      title: 'Keys',
      panels: [{ title: 'Age of the signing key in use (rotation due at 80 days)', unit: 's', exprs: [q(`time() - max(token_signing_key_created_timestamp_seconds{${SELF}})`, 'age')] }],
    },
    saturation({ postgres: true, redis: true }),
    sidecar({ out: true, in: true }),
  ],
  ratelimit: [
    requests,
    {
      title: 'Limits',
      panels: [
        { title: 'Decisions', exprs: [q(`sum by (outcome) (rate(ratelimit_decisions_total{${SELF}}[5m]))`, '{{outcome}}')] },
        { title: 'Redis script time p99', unit: 's', exprs: [q(`histogram_quantile(0.99, sum by (le) (rate(ratelimit_script_duration_seconds_bucket{${SELF}}[5m])))`, 'p99')] },
      ],
    },
    saturation({ postgres: false, redis: true }),
    sidecar({ out: true, in: false }),
  ],
  ui: [requests, saturation({ postgres: false, redis: false }), sidecar({ out: false, in: false })],
  insights: [
    requests,
    {
      title: 'Indexing',
      panels: [
        { title: 'Backlog (alert over 1,000 for 30 min) and stale', exprs: [q(`max(insights_index_backlog{${SELF}})`, 'backlog'), q(`max(insights_index_stale{${SELF}})`, 'stale')] },
        { title: 'Documents by outcome', exprs: [q(`sum by (outcome) (rate(insights_documents_total{${SELF}}[5m]))`, '{{outcome}}')] },
        { title: 'Time to read one version p95 by format', unit: 's', exprs: [q(`histogram_quantile(0.95, sum by (format, le) (rate(insights_index_seconds_bucket{${SELF}}[5m])))`, '{{format}}')] },
      ],
    },
    relay,
    deliveries,
    saturation({ postgres: true, redis: true }),
    sidecar({ out: true, in: true }),
  ],
  webhooks: [
    requests,
    {
      title: 'Webhook deliveries',
      panels: [
        { title: 'Attempts by outcome (success, retry, dead)', wide: true, exprs: [q(`sum by (outcome) (rate(webhook_deliveries_total{${SELF}}[5m]))`, '{{outcome}}')] },
      ],
    },
    deliveries,
    saturation({ postgres: true, redis: true }),
    sidecar({ out: true, in: true }),
  ],
};

export function dashboard(app: AppId): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS[app]) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    let x = 0;
    for (const panel of row.panels) {
      const w = panel.wide ? 24 : 12;
      if (x + w > 24) {
        x = 0;
        y += 8;
      }
      panels.push({
        id: id++,
        type: 'timeseries',
        title: panel.title,
        datasource: { type: 'prometheus', uid: '${datasource}' },
        gridPos: { h: 8, w, x, y },
        fieldConfig: { defaults: { unit: panel.unit ?? 'short' }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
        targets: panel.exprs.map((e, i) => ({ refId: String.fromCharCode(65 + i), expr: e.expr.replaceAll('$app', app), legendFormat: e.legend })),
      });
      x += w;
      if (x >= 24) {
        x = 0;
        y += 8;
      }
    }
    if (x > 0) y += 8;
  }
  return {
    uid: `strata-${app}`,
    title: `Strata / ${app}`,
    description: `Requests, latency, errors, saturation and events of ${app} and its sidecar. Written by deploy/src/dashboards.ts.`,
    tags: ['strata'],
    schemaVersion: 39,
    editable: false,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 }],
    },
    annotations: { list: [] },
    panels,
  };
}

export function dashboardJson(app: AppId): string {
  return `${JSON.stringify(dashboard(app), null, 2)}\n`;
}

export const DASHBOARD_APPS: readonly AppId[] = ALL_APP_IDS;

/** Every query of a dashboard file. */
export function dashboardExprs(json: string): string[] {
  const parsed = JSON.parse(json) as { panels: { targets?: { expr: string }[] }[] };
  return parsed.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

const PROMQL_WORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'sum', 'min', 'max', 'avg', 'count', 'rate', 'increase', 'irate', 'histogram_quantile', 'time', 'vector', 'le', 'inf',
]);

/**
 * The metric names a PromQL expression reads: identifiers outside label matchers, strings,
 * grouping clauses and ranges, that are not functions or keywords.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const after = stripped.slice(match.index + word.length).trimStart();
    if (after.startsWith('(') || PROMQL_WORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}
