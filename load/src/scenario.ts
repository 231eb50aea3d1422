/**
 * Scenarios are data: stages of arrival rate over time (k6's ramping-arrival-rate), a weighted mix
 * of request kinds, SSE listeners held open, and k6-style thresholds.
 */

/** Request kinds the runner knows. The files kinds run only when the files service answers. */
export const REQUEST_KINDS = ['signin', 'me', 'refresh', 'sessions', 'jwks', 'list', 'upload-small', 'download'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
export const FILE_KINDS: readonly RequestKind[] = ['list', 'upload-small', 'download'];

/** What each kind sends, for the summary (the route a threshold names is the kind). */
export const KIND_ROUTES: Record<RequestKind, string> = {
  signin: 'POST /api/v1/auth/login',
  me: 'GET /api/v1/me',
  refresh: 'POST /api/v1/auth/refresh',
  sessions: 'GET /api/v1/sessions',
  jwks: 'GET /.well-known/jwks.json',
  list: 'GET /api/v1/files?limit=20',
  'upload-small': 'POST /api/v1/files (multipart, 2 KiB)',
  download: 'GET /api/v1/files/{id}/content',
};

/** One stage: the arrival rate moves linearly from where the last stage ended to targetRate. */
export interface Stage {
  durationS: number;
  /** Requests started per second at the end of the stage. */
  targetRate: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** Arrival rate at t = 0 (k6's startRate). */
  startRate: number;
  stages: Stage[];
  /** Relative weights; kinds that cannot run (files absent) are dropped and the rest renormalised. */
  mix: Partial<Record<RequestKind, number>>;
  /** Live-event listeners (GET /api/v1/events) held open for the whole run, when the route exists. */
  sseListeners: number;
  /** Users registered and signed in during set-up; the runner raises it to respect per-user limits. */
  users: number;
  /** Most requests in flight at once (k6's maxVUs): an arrival beyond it is dropped and counted. */
  maxInFlight: number;
  /**
   * k6-style thresholds: metric (optionally `{route:<kind>}`) to expressions such as `p(95)<300`,
   * `rate<0.01`, `count<1`. Metrics: http_req_duration (ms), http_req_failed (429s excluded),
   * http_req_limited (429s), checks, dropped_iterations.
   */
  thresholds: Record<string, string[]>;
  /** For the HPA check: the production peak arrival rate these stages stand for. */
  productionPeakRps?: number;
}

export interface ScenarioOptions {
  /** Overrides the length of the scenario's main (hold) stage, in seconds. */
  durationS?: number;
}

export type ScenarioFactory = (options: ScenarioOptions) => Scenario;

export function totalDurationS(stages: readonly Stage[]): number {
  return stages.reduce((sum, s) => sum + s.durationS, 0);
}

export function peakRate(scenario: Pick<Scenario, 'startRate' | 'stages'>): number {
  return Math.max(scenario.startRate, ...scenario.stages.map((s) => s.targetRate));
}

/** Checks a scenario for mistakes that would make a run meaningless; returns the problems. */
export function validateScenario(s: Scenario): string[] {
  const problems: string[] = [];
  if (s.stages.length === 0) problems.push('no stages');
  for (const [i, st] of s.stages.entries()) {
    if (!(st.durationS > 0)) problems.push(`stage ${i}: durationS must be > 0`);
    if (!(st.targetRate >= 0)) problems.push(`stage ${i}: targetRate must be >= 0`);
  }
  const weights = Object.values(s.mix);
  if (weights.length === 0 || weights.some((w) => !(w! >= 0)) || weights.every((w) => w === 0)) problems.push('mix needs positive weights');
  for (const k of Object.keys(s.mix)) if (!(REQUEST_KINDS as readonly string[]).includes(k)) problems.push(`unknown kind ${k}`);
  if (!(s.maxInFlight >= 1)) problems.push('maxInFlight must be >= 1');
  if (!(s.users >= 1)) problems.push('users must be >= 1');
  return problems;
}
