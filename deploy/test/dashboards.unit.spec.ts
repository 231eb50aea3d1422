/**
 * The Grafana dashboards (deploy/grafana): one per app, the files equal what src/dashboards.ts
 * writes, each has the rows an operator looks for first, and the metric-name reader that the
 * live-scrape test (observability.int.spec.ts) relies on reads PromQL right.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_APP_IDS } from '@strata/contracts';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_DIR, dashboardExprs, dashboardJson, metricNames } from '../src/dashboards.js';

describe('Grafana dashboards', () => {
  it('there is one per app, and each file is what src/dashboards.ts writes', () => {
    expect(readdirSync(DASHBOARD_DIR).sort()).toEqual(ALL_APP_IDS.map((a) => `${a}.json`).sort());
    for (const app of ALL_APP_IDS) expect(readFileSync(join(DASHBOARD_DIR, `${app}.json`), 'utf8'), `run: npm run dashboards -w @strata/deploy`).toBe(dashboardJson(app));
  });

  it.each(ALL_APP_IDS)('%s: requests, latency, errors, saturation and its sidecar, on its own series only', (app) => {
    const board = JSON.parse(dashboardJson(app)) as { uid: string; panels: { type: string; title: string; targets?: { expr: string }[] }[] };
    expect(board.uid).toBe(`strata-${app}`);
    const rows = board.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(expect.arrayContaining(['Requests', 'Saturation', 'Sidecar (daprd)']));
    const exprs = dashboardExprs(dashboardJson(app));
    for (const wanted of ['http_requests_total', 'http_request_duration_seconds_bucket', 'process_cpu_limit_cores', 'dapr_http_server_request_count']) {
      expect(exprs.some((e) => metricNames(e).includes(wanted)), wanted).toBe(true);
    }
    for (const expr of exprs) {
      if (expr.startsWith('vector(')) continue;
      expect(expr, 'a selector of this app').toMatch(new RegExp(`(app|app_id)="${app}"`));
    }
  });

  it('reads the metric names of PromQL, not its functions, labels, strings or keywords', () => {
    expect(metricNames('sum by (app, le) (rate(http_request_duration_seconds_bucket{route!~"/health/.*|x_total"}[5m]))')).toEqual(['http_request_duration_seconds_bucket']);
    expect(metricNames('(postgres_pool_total - postgres_pool_idle) >= postgres_pool_max and on (pod) postgres_pool_waiting > 0').sort()).toEqual(
      ['postgres_pool_idle', 'postgres_pool_max', 'postgres_pool_total', 'postgres_pool_waiting'],
    );
    expect(metricNames('min(dapr_sentry_issuercert_expiry_timestamp) - time() < 30 * 86400')).toEqual(['dapr_sentry_issuercert_expiry_timestamp']);
    expect(metricNames('histogram_quantile(0.99, sum without (pod) (rate(a_bucket[1m]))) > bool 1')).toEqual(['a_bucket']);
  });
});
