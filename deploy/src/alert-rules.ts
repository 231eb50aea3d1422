/**
 * The alert rules are written once, as the PrometheusRule in k8s/monitoring/alerts.yaml. Azure
 * Monitor managed Prometheus does not read that kind: it evaluates rule groups that are Azure
 * resources (Microsoft.AlertsManagement/prometheusRuleGroups), which modules/monitoring.bicep
 * creates from infra/alert-rules.json, the same rules in Azure's shape, written from the YAML here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEPLOY_DIR } from './versions.js';

export const ALERTS_FILE = join(DEPLOY_DIR, 'k8s/monitoring/alerts.yaml');
export const ALERT_TESTS_FILE = join(DEPLOY_DIR, 'k8s/monitoring/alerts.test.yaml');
export const AZURE_RULES_FILE = join(DEPLOY_DIR, 'infra/alert-rules.json');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: 'warning' | 'critical'; [name: string]: string };
  annotations: { summary: string; runbook_url: string; [name: string]: string };
}
export interface RuleGroup {
  name: string;
  interval: string;
  rules: AlertRule[];
}
export interface PrometheusRule {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PrometheusRule';
  metadata: { name: string; namespace: string };
  spec: { groups: RuleGroup[] };
}

export function readPrometheusRule(file = ALERTS_FILE): PrometheusRule {
  return parse(readFileSync(file, 'utf8')) as PrometheusRule;
}

/** The file promtool reads (`groups:` at the top): the PrometheusRule's spec. */
export function promtoolRules(rule: PrometheusRule): string {
  return stringify(rule.spec, { lineWidth: 0 });
}

/** A Prometheus duration (5m, 1h, 30s) as ISO 8601 (PT5M), which the Azure resource takes. */
export function isoDuration(duration: string): string {
  const match = /^(\d+)([smhd])$/.exec(duration);
  if (!match) throw new Error(`a duration of one unit (5m, 1h), not ${JSON.stringify(duration)}`);
  const [, n, unit] = match;
  return unit === 'd' ? `P${n}D` : `PT${n}${unit!.toUpperCase()}`;
}

/** Azure Monitor alert severities: 0 critical .. 4 verbose. */
const SEVERITY = { critical: 1, warning: 2 } as const;

export interface AzureRuleGroup {
  name: string;
  interval: string;
  rules: {
    alert: string;
    expression: string;
    for?: string;
    severity: number;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    enabled: true;
    resolveConfiguration: { autoResolved: true; timeToResolve: string };
  }[];
}

/** The rule groups in the shape of prometheusRuleGroups' properties (the action group is the Bicep's). */
export function azureRuleGroups(rule: PrometheusRule): AzureRuleGroup[] {
  return rule.spec.groups.map((group) => ({
    name: group.name,
    interval: isoDuration(group.interval),
    rules: group.rules.map((r) => ({
      alert: r.alert,
      expression: r.expr.trim(),
      ...(r.for ? { for: isoDuration(r.for) } : {}),
      severity: SEVERITY[r.labels.severity],
      labels: r.labels,
      annotations: r.annotations,
      enabled: true as const,
      resolveConfiguration: { autoResolved: true as const, timeToResolve: 'PT10M' },
    })),
  }));
}

export function azureRulesJson(rule = readPrometheusRule()): string {
  return `${JSON.stringify({ $comment: 'Written from k8s/monitoring/alerts.yaml by `npm run alert-rules -w @strata/deploy`; do not edit.', groups: azureRuleGroups(rule) }, null, 2)}\n`;
}
