/**
 * The alert rules (k8s/monitoring/alerts.yaml) through promtool, built from the Go module proxy
 * like daprd (tools/promtool; `npm test` builds it before the tests): `check rules`, and `test
 * rules` on alerts.test.yaml, whose series fire each alert and, close to them, do not. Then what
 * promtool does not know: every alert has both kinds of test, a severity, a summary and a runbook
 * that is a section of deploy/README.md, and Azure's copy of the rules (infra/alert-rules.json,
 * which the Bicep loads) is the same rules.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePromtool } from '@strata/dev/gotools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALERT_TESTS_FILE, AZURE_RULES_FILE, type PrometheusRule, azureRulesJson, promtoolRules, readPrometheusRule } from '../src/alert-rules.js';
import { DEPLOY_DIR } from '../src/versions.js';
import { markdownAnchors } from './markdown.js';

let promtool: string;
let dir: string;
const rule = readPrometheusRule();

/** Runs promtool on `rules` (a PrometheusRule) with the unit tests in `tests` (alerts.test.yaml's text). */
function promtoolRun(args: string[], rules: PrometheusRule, tests?: string) {
  writeFileSync(join(dir, 'rules.yaml'), promtoolRules(rules));
  if (tests !== undefined) writeFileSync(join(dir, 'alerts.test.yaml'), tests);
  const out = spawnSync(promtool, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: out.status, output: `${out.stdout}\n${out.stderr}` };
}

beforeAll(async () => {
  promtool = await ensurePromtool();
  dir = mkdtempSync(join(tmpdir(), 'strata-alerts-'));
  copyFileSync(ALERT_TESTS_FILE, join(dir, 'alerts.test.yaml'));
}, 20 * 60_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface AlertTest {
  alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
}

// each promtool run takes seconds on a loaded machine (its spawn has 60 s); vitest's 5 s is too short
const PROMTOOL_MS = 120_000;

describe('alert rules (promtool)', () => {
  it('promtool check rules accepts them', { timeout: PROMTOOL_MS }, () => {
    const run = promtoolRun(['check', 'rules', 'rules.yaml'], rule);
    expect(run.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(run.status, run.output).toBe(0);
  });

  it('promtool test rules passes: each alert fires on its series and not on the others', { timeout: PROMTOOL_MS }, () => {
    const run = promtoolRun(['test', 'rules', 'alerts.test.yaml'], rule, readFileSync(ALERT_TESTS_FILE, 'utf8'));
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
  });

  it('the tests catch a wrong threshold, and check rules a broken expression', { timeout: PROMTOOL_MS }, () => {
    const loose = structuredClone(rule);
    const cpu = loose.spec.groups.flatMap((g) => g.rules).find((r) => r.alert === 'HighCPUUsage')!;
    cpu.expr = cpu.expr.replace('> 0.8', '> 0.95');
    const run = promtoolRun(['test', 'rules', 'alerts.test.yaml'], loose, readFileSync(ALERT_TESTS_FILE, 'utf8'));
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('HighCPUUsage');

    const broken = structuredClone(rule);
    broken.spec.groups[0]!.rules[0]!.expr = 'sum by (app) (rate(http_requests_total[5m])';
    const check = promtoolRun(['check', 'rules', 'rules.yaml'], broken);
    expect(check.status).not.toBe(0);
    expect(check.output).toMatch(/parse error|unclosed/i);
  });

  it('every alert has a test where it fires and one where it must not', () => {
    const tests = (parse(readFileSync(ALERT_TESTS_FILE, 'utf8')) as { tests: AlertTest[] }).tests.flatMap((t) => t.alert_rule_test);
    const alerts = new Set(rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert)));
    for (const alert of alerts) {
      const mine = tests.filter((t) => t.alertname === alert);
      expect(mine.some((t) => t.exp_alerts.length > 0), `${alert} fires in a test`).toBe(true);
      expect(mine.some((t) => t.exp_alerts.length === 0), `${alert} stays quiet in a test`).toBe(true);
    }
    // no test names an alert that does not exist (it would pass by expecting nothing)
    for (const t of tests) expect(alerts, t.alertname).toContain(t.alertname);
  });

  it('the seed\'s two are there as it wrote them: CPU over 80% and Postgres connections over 180, 5 minutes', () => {
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    const cpu = rules.find((r) => r.alert === 'HighCPUUsage');
    const pg = rules.find((r) => r.alert === 'PostgreSQLConnectionsHigh');
    expect([cpu?.for, cpu?.labels.severity, cpu?.expr]).toEqual(['5m', 'warning', expect.stringMatching(/> 0\.8$/)]);
    expect([pg?.for, pg?.labels.severity, pg?.expr]).toEqual(['5m', 'critical', expect.stringMatching(/> 180$/)]);
  });

  it('every alert has a severity, a summary and a runbook that is a section of deploy/README.md', () => {
    const anchors = markdownAnchors(readFileSync(join(DEPLOY_DIR, 'README.md'), 'utf8'));
    for (const r of rule.spec.groups.flatMap((g) => g.rules)) {
      expect(['warning', 'critical'], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      const [file, anchor] = r.annotations.runbook_url.split('#');
      expect(file, r.alert).toBe('deploy/README.md');
      expect(anchors, `${r.alert}: #${anchor}`).toContain(anchor);
    }
  });

  it('AppNotScraped watches every app of dapr.yaml, and nothing else', () => {
    const apps = (parse(readFileSync(join(DEPLOY_DIR, '..', 'dapr.yaml'), 'utf8')) as { apps: { appID: string }[] }).apps.map((a) => a.appID).sort();
    const expr = rule.spec.groups.flatMap((g) => g.rules).find((r) => r.alert === 'AppNotScraped')?.expr ?? '';
    const watched = [...expr.matchAll(/absent\(up\{app_kubernetes_io_name="([a-z0-9-]+)"\}\)/g)].map((m) => m[1]).sort();
    expect(watched).toEqual(apps);
  });

  it("Azure's rule groups (infra/alert-rules.json, loaded by the Bicep) are the same rules", () => {
    expect(readFileSync(AZURE_RULES_FILE, 'utf8'), 'run: npm run alert-rules -w @strata/deploy').toBe(azureRulesJson(rule));
    const bicep = readFileSync(join(DEPLOY_DIR, 'infra/modules/monitoring.bicep'), 'utf8');
    expect(bicep).toContain("loadJsonContent('../alert-rules.json', 'groups')");
    expect(bicep).toContain("Microsoft.AlertsManagement/prometheusRuleGroups@");
    expect(readFileSync(join(DEPLOY_DIR, 'infra/main.bicep'), 'utf8')).toContain("module monitoring 'modules/monitoring.bicep'");
  });
});
