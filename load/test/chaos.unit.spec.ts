import { describe, expect, it } from 'vitest';
import { renderResult, workloadFigures } from '../src/chaos/report.js';
import { Workload } from '../src/chaos/traffic.js';

const user = { email: 'a@example.com', password: 'x', token: 't', tokenAt: 0, cookie: undefined, refreshing: false, fileIds: [] };

function workload(): Workload {
  const work = new Workload('http://127.0.0.1:1', [user], 'run', { uploadsPerSecond: 1, downloadsPerSecond: 0, maxUploads: 0 });
  work.uploads.push(
    { key: 'k1', name: 'a', user, sha: 's', size: 1, ids: new Set(['1']), acknowledgedAt: 1, startedAt: 0 },
    { key: 'k2', name: 'b', user, sha: 's', size: 1, ids: new Set(), startedAt: 0 },
  );
  for (const s of ['201', '503', '500', 'hung', 'connection']) work.uploadAnswers.add(s);
  return work;
}

describe('chaos goals', () => {
  it('fail on a lost or duplicated upload, a 500, a hang and an upload never acknowledged', () => {
    const { goals, figures } = workloadFigures(workload(), { lost: 1, duplicated: 1, unacknowledgedButKept: 0, lostNames: ['a'] });
    const failed = goals.filter((g) => !g.ok).map((g) => g.name);
    expect(failed).toEqual(
      expect.arrayContaining([
        'acknowledged uploads lost (not listed, or other bytes)',
        'acknowledged uploads duplicated',
        '500 answers',
        'hung requests (no answer within 30 s)',
        'every upload acknowledged in the end (retried with its Idempotency-Key)',
      ]),
    );
    expect(figures['5xx answers']).toBe(2);
    expect(figures['connection refused or cut']).toBe(1);
  });

  it('hold when nothing was lost, doubled, refused with a 500 or left hanging', () => {
    const work = workload();
    work.uploads.pop();
    work.uploadAnswers.statuses.clear();
    work.uploadAnswers.add('201');
    work.uploadAnswers.add('503');
    const { goals } = workloadFigures(work, { lost: 0, duplicated: 0, unacknowledgedButKept: 0, lostNames: [] });
    const bad = goals.filter((g) => !g.ok);
    // the 503 above has no problem+json body counted against it: only note() counts those
    expect(bad).toEqual([]);
    const text = renderResult({ scenario: 'x', title: 't', startedAt: '', durationS: 1, timeline: [], figures: {}, answers: {}, goals, passed: true });
    expect(text).toContain('✓ every goal held');
  });
});
