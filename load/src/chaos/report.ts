/** What a scenario found, as the report prints it and as the JSON in load/results keeps it. */
import type { Verification, Workload } from './traffic.js';

export interface Goal {
  name: string;
  /** What it must be (`0`, `= 50`, `≤ 10 s`). */
  wanted: string;
  actual: string;
  ok: boolean;
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  startedAt: string;
  durationS: number;
  /** What was done to the system, in order, with the time it took to come back. */
  timeline: string[];
  figures: Record<string, number | string>;
  answers: Record<string, Record<string, number>>;
  goals: Goal[];
  passed: boolean;
}

export const goal = (name: string, wanted: string, actual: number | string, ok: boolean): Goal => ({ name, wanted, actual: String(actual), ok });
export const zero = (name: string, actual: number): Goal => goal(name, '0', actual, actual === 0);

/** The figures and goals every scenario with the upload workload shares. */
export function workloadFigures(work: Workload, verified: Verification): { figures: ScenarioResult['figures']; answers: ScenarioResult['answers']; goals: Goal[] } {
  const up = work.uploadAnswers;
  const down = work.downloadAnswers;
  const both = (p: (k: string) => boolean) => up.count(p) + down.count(p);
  const is5xx = (k: string) => /^5\d\d$/.test(k);
  const sent = work.uploads.length;
  const acknowledged = work.acknowledged.length;
  const figures = {
    'uploads sent': sent,
    'upload attempts (with retries)': up.total,
    acknowledged,
    'not acknowledged (given up)': sent - acknowledged,
    lost: verified.lost,
    duplicated: verified.duplicated,
    'kept without an acknowledgement': verified.unacknowledgedButKept,
    downloads: down.total,
    'downloads with wrong bytes': work.corruptDownloads,
    '5xx answers': both(is5xx),
    '500 answers': both((k) => k === '500'),
    hung: both((k) => k === 'hung'),
    'connection refused or cut': both((k) => k === 'connection'),
    '5xx without problem+json (or 503 without Retry-After)': work.badErrorBodies,
  };
  const goals = [
    zero('acknowledged uploads lost (not listed, or other bytes)', verified.lost),
    zero('acknowledged uploads duplicated', verified.duplicated),
    zero('500 answers', figures['500 answers']),
    zero(`hung requests (no answer within 30 s)`, figures.hung),
    zero('downloads with wrong bytes', work.corruptDownloads),
    goal('every upload acknowledged in the end (retried with its Idempotency-Key)', `= ${sent}`, acknowledged, acknowledged === sent),
    zero('5xx without problem+json, or 503 without Retry-After', work.badErrorBodies),
  ];
  return { figures, answers: { uploads: up.toJSON(), downloads: down.toJSON() }, goals };
}

export function renderResult(r: ScenarioResult): string {
  const lines = [`  scenario: ${r.scenario} — ${r.title}`, `  started ${r.startedAt}, ran ${r.durationS.toFixed(0)} s`, ''];
  if (r.timeline.length > 0) lines.push('  timeline', ...r.timeline.map((t) => `    ${t}`), '');
  lines.push('  figures');
  for (const [k, v] of Object.entries(r.figures)) lines.push(`    ${`${k} `.padEnd(58, '.')} ${v}`);
  for (const [what, tally] of Object.entries(r.answers)) {
    lines.push(`    ${`${what} answers `.padEnd(58, '.')} ${Object.entries(tally).map(([k, v]) => `${k}:${v}`).join(' ') || 'none'}`);
  }
  lines.push('', '  goals');
  for (const g of r.goals) lines.push(`    ${g.ok ? '✓' : '✗'} ${`${g.name} `.padEnd(64, '.')} wanted ${g.wanted}, got ${g.actual}`);
  lines.push('', r.passed ? '  ✓ every goal held' : `  ✗ ${r.goals.filter((g) => !g.ok).length} goal(s) failed`);
  return lines.join('\n');
}
