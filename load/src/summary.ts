import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RunResult } from './runner.js';
import { LOAD_ROOT } from './paths.js';

const ms = (x: number) => (Number.isNaN(x) ? '-' : x >= 1000 ? `${(x / 1000).toFixed(2)}s` : `${x.toFixed(x < 10 ? 2 : 1)}ms`);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const dots = (label: string, width = 34) => `${label}${'.'.repeat(Math.max(2, width - label.length))}:`;

/** The end-of-run summary, laid out like k6's. */
export function renderSummary(r: RunResult): string {
  const lines: string[] = [];
  lines.push('');
  lines.push(`  scenario: ${r.scenario} — ${r.description}`);
  lines.push(`  model:    ${r.model}`);
  lines.push(`  target:   ${r.target}   ran ${r.durationS.toFixed(1)} s (+ set-up ${r.setup.seconds.toFixed(1)} s: ${r.setup.users} users registered and signed in)`);
  lines.push(`  stages:   start → ${r.stages.map((s) => `${s.targetRate}/s over ${s.durationS}s`).join(' → ')}`);
  for (const s of r.skipped) lines.push(`  SKIPPED:  ${s.kinds.join(', ')} — ${s.reason}; not measured, not faked`);
  if ('skipped' in r.sse) lines.push(`  SSE:      ${r.sse.wanted} listeners wanted; skipped — ${r.sse.skipped}`);
  lines.push('');
  const checkPasses = r.checks.reduce((s, c) => s + c.passes, 0);
  const checkFails = r.checks.reduce((s, c) => s + c.fails, 0);
  lines.push(`  ${checkFails === 0 ? '✓' : '✗'} ${dots('checks')} ${pct(checkPasses / Math.max(1, checkPasses + checkFails))} ✓ ${checkPasses} ✗ ${checkFails}`);
  for (const c of r.checks) lines.push(`      ${c.fails === 0 ? '✓' : '✗'} ${c.name}${c.fails ? ` (${c.fails} failed of ${c.passes + c.fails})` : ''}`);
  const l = r.totals.latencyMs;
  lines.push(`    ${dots('http_req_duration')} avg=${ms(l.avg)} med=${ms(l.med)} p(90)=${ms(l.p90)} p(95)=${ms(l.p95)} p(99)=${ms(l.p99)} max=${ms(l.max)}`);
  lines.push(`    ${dots('http_req_failed (429s apart)')} ${pct(r.totals.errorRate)} ✗ ${r.totals.errors} of ${r.totals.requests}`);
  lines.push(`    ${dots('http_req_limited (429)')} ${pct(r.totals.limitedRate)} ${r.totals.limited}`);
  lines.push(`    ${dots('http_reqs')} ${r.totals.requests} ${r.totals.rps.toFixed(1)}/s`);
  lines.push(`    ${dots('dropped_iterations')} ${r.totals.dropped}`);
  if (!('skipped' in r.sse)) {
    lines.push(`    ${dots('sse_listeners')} ${r.sse.opened}/${r.sse.wanted} open, ${r.sse.failed} failed, ${r.sse.dropped} dropped early, ${r.sse.events} events, connect p(95)=${ms(r.sse.connectMsP95)}`);
  }
  lines.push('');
  lines.push('  per route        count     rps     p50      p95      p99      max   errors    429  statuses');
  for (const x of r.routes) {
    const statuses = Object.entries(x.statuses).map(([k, v]) => `${k}:${v}`).join(' ');
    lines.push(
      `    ${x.kind.padEnd(13)} ${String(x.count).padStart(6)} ${x.rps.toFixed(1).padStart(7)} ${ms(x.latencyMs.med).padStart(7)}  ${ms(x.latencyMs.p95).padStart(7)}  ` +
        `${ms(x.latencyMs.p99).padStart(7)}  ${ms(x.latencyMs.max).padStart(7)} ${pct(x.errorRate).padStart(7)} ${String(x.limited).padStart(6)}  ${statuses}`,
    );
  }
  lines.push('');
  lines.push('  thresholds');
  for (const t of r.thresholds) {
    const mark = t.verdict === 'pass' ? '✓' : t.verdict === 'fail' ? '✗' : '–';
    const actual =
      t.actual === undefined ? 'not measured (no samples for it in this run)' : t.metric === 'http_req_duration' && t.stat !== 'count' ? ms(t.actual) : t.stat === 'rate' ? pct(t.actual) : String(t.actual);
    lines.push(`    ${mark} ${t.key.padEnd(36)} ${t.expression.padEnd(12)} actual ${actual}`);
  }
  lines.push('');
  lines.push(r.passed ? '  ✓ all thresholds held' : `  ✗ thresholds crossed: ${r.thresholds.filter((t) => t.verdict === 'fail').map((t) => `${t.key} ${t.expression}`).join(', ')}`);
  return lines.join('\n');
}

/** Writes the run as JSON under load/results/ (git-ignored) and returns the path. */
export function writeResult(name: string, data: unknown, fixedName?: string): string {
  const dir = join(LOAD_ROOT, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, fixedName ?? `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return relative(process.cwd(), file) || file;
}
