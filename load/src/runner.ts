import { FILE_KINDS, KIND_ROUTES, type RequestKind, type Scenario, peakRate, totalDurationS, validateScenario } from './scenario.js';
import { arrivalsBy, rateAt, weightedPick } from './schedule.js';
import { type LatencySummary, type Outcome, classify, percentile, summarise } from './stats.js';
import { type ThresholdResult, evaluateThresholds, parseThresholds } from './thresholds.js';
import {
  EXPECTED,
  type LoadUser,
  type Probe,
  type SseStats,
  Target,
  holdListeners,
  newRunId,
  probeEvents,
  probeFiles,
  registerAndSignIn,
  send,
  signIn,
} from './http.js';

export interface RunOptions {
  target: string;
  /** Per-user request limit of the gateway (requests per minute); users are added to stay under it. */
  perUserLimitPerMin?: number;
  /** Overrides the number of users. */
  users?: number;
  /** One line per second; nothing when undefined. */
  progress?: (line: string) => void;
  signal?: AbortSignal;
  /** Users already registered and signed in (the capacity sweep reuses them across steps). */
  prepared?: LoadUser[];
}

export interface RouteResult {
  kind: RequestKind;
  route: string;
  count: number;
  rps: number;
  ok: number;
  limited: number;
  errors: number;
  errorRate: number;
  statuses: Record<string, number>;
  latencyMs: LatencySummary;
}

export interface RunResult {
  scenario: string;
  description: string;
  model: string;
  target: string;
  runId: string;
  startedAt: string;
  durationS: number;
  setup: { users: number; seconds: number; filesProbe: Probe; eventsProbe: Probe };
  skipped: { kinds: RequestKind[]; reason: string }[];
  mix: Partial<Record<RequestKind, number>>;
  stages: Scenario['stages'];
  totals: { requests: number; rps: number; ok: number; limited: number; errors: number; errorRate: number; limitedRate: number; dropped: number; latencyMs: LatencySummary };
  routes: RouteResult[];
  checks: { name: string; passes: number; fails: number }[];
  sse: (Omit<SseStats, 'connectMs'> & { wanted: number; connectMsP95: number }) | { wanted: number; skipped: string };
  thresholds: ThresholdResult[];
  passed: boolean;
  timeline: { t: number; rate: number; sent: number; done: number; p95: number; errors: number; limited: number; dropped: number; inFlight: number }[];
}

interface Recorder {
  durations: number[];
  ok: number;
  limited: number;
  errors: number;
  statuses: Map<string, number>;
}

const MAX_USERS = 400;
const SETUP_CONCURRENCY = 4;
const DRAIN_MS = 12_000;
/** Access tokens live 15 min by default: users are signed in again (unmeasured) well before that. */
const TOKEN_RENEW_MS = 10 * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Users needed so that no one of them exceeds the per-user limit at the peak (25 % headroom). */
export function usersNeeded(scenario: Scenario, perUserLimitPerMin: number): number {
  const authed = Object.entries(scenario.mix).filter(([k]) => k !== 'jwks' && k !== 'signin').reduce((s, [, w]) => s + (w ?? 0), 0);
  const total = Object.values(scenario.mix).reduce((s, w) => s + (w ?? 0), 0);
  const peakAuthed = (peakRate(scenario) * authed) / total;
  return Math.min(MAX_USERS, Math.max(scenario.users, Math.ceil(((peakAuthed * 60) / perUserLimitPerMin) * 1.25)));
}

/**
 * Runs a scenario against a running stack. Open model: request i is started when the integral of
 * the arrival rate reaches i, whether or not earlier ones have answered (so a slow system cannot
 * slow the arrivals, and latency has no coordinated omission). When maxInFlight requests are
 * outstanding, an arrival is dropped and counted (k6's dropped_iterations).
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  const problems = validateScenario(scenario);
  if (problems.length > 0) throw new Error(`scenario ${scenario.name}: ${problems.join('; ')}`);
  const thresholds = parseThresholds(scenario.thresholds);
  const say = options.progress ?? (() => undefined);
  const target = new Target(options.target, scenario.maxInFlight);
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  try {
    // set-up: users registered and signed in; their tokens are reused by the mix
    const setupStart = performance.now();
    const userCount = options.prepared ? 0 : (options.users ?? usersNeeded(scenario, options.perUserLimitPerMin ?? 100));
    if (userCount > 0) say(`set-up: registering and signing in ${userCount} users`);
    const users: LoadUser[] = [...(options.prepared ?? [])];
    let next = 0;
    const worker = async () => {
      while (next < userCount && !options.signal?.aborted) {
        const i = next++;
        users.push(await registerAndSignIn(target, `load-${runId}-${i}@example.test`));
      }
    };
    await Promise.all(Array.from({ length: SETUP_CONCURRENCY }, worker));
    if (users.length === 0) throw new Error('set-up registered no users');

    const filesProbe = await probeFiles(target, users[0]!);
    const eventsProbe = await probeEvents(target.origin, users[0]!);
    const skipped: RunResult['skipped'] = [];
    const wantedFiles = FILE_KINDS.filter((k) => (scenario.mix[k] ?? 0) > 0);
    if (wantedFiles.length > 0 && !filesProbe.available) skipped.push({ kinds: wantedFiles, reason: `the files service is not there: ${filesProbe.reason}` });
    if (filesProbe.available && (scenario.mix.download ?? 0) > 0 && !options.prepared) {
      // something to download: one small file per user (set-up, not measured)
      for (const user of users) await send(target, 'upload-small', user);
    }
    const mix = Object.entries(scenario.mix).filter(
      ([k, w]) => (w ?? 0) > 0 && (filesProbe.available || !FILE_KINDS.includes(k as RequestKind)),
    ) as [RequestKind, number][];
    if (mix.length === 0) throw new Error(`nothing to run: ${skipped.map((s) => s.reason).join('; ')}`);
    const setupSeconds = (performance.now() - setupStart) / 1000;
    say(`set-up done in ${setupSeconds.toFixed(1)} s${skipped.length ? `; skipped ${skipped.map((s) => `${s.kinds.join(', ')} (${s.reason})`).join('; ')}` : ''}`);

    const stopListeners = new AbortController();
    const listeners =
      scenario.sseListeners > 0 && eventsProbe.available ? holdListeners(target.origin, users, scenario.sseListeners, stopListeners.signal) : undefined;

    const recorders = new Map<RequestKind, Recorder>(mix.map(([k]) => [k, { durations: [], ok: 0, limited: 0, errors: 0, statuses: new Map() }]));
    const checks = new Map<string, { passes: number; fails: number }>();
    const timeline: RunResult['timeline'] = [];
    let fired = 0;
    let done = 0;
    let dropped = 0;
    let inFlight = 0;
    let userCursor = 0;
    let window: { durations: number[]; errors: number; limited: number } = { durations: [], errors: 0, limited: 0 };
    const renewing = new Set<LoadUser>();

    const pickUser = (kind: RequestKind): LoadUser | undefined => {
      for (let tries = 0; tries < users.length; tries++) {
        const user = users[userCursor++ % users.length]!;
        if (kind === 'refresh' && (user.refreshing || !user.cookie)) continue;
        if (kind === 'download' && user.fileIds.length === 0) continue;
        if (renewing.has(user) && kind !== 'jwks') continue;
        return user;
      }
      return undefined;
    };
    const record = (kind: RequestKind, outcome: Outcome, status: string, ms: number | undefined, named: Record<string, boolean>) => {
      const r = recorders.get(kind)!;
      r[outcome === 'ok' ? 'ok' : outcome === 'limited' ? 'limited' : 'errors'] += 1;
      r.statuses.set(status, (r.statuses.get(status) ?? 0) + 1);
      if (ms !== undefined) {
        r.durations.push(ms);
        window.durations.push(ms);
      }
      if (outcome === 'error') window.errors += 1;
      if (outcome === 'limited') window.limited += 1;
      // a 429 is the limiter doing its job: counted apart (limited), neither a passed nor a failed check
      if (outcome === 'limited') return;
      for (const [name, passed] of Object.entries(named)) {
        const c = checks.get(name) ?? { passes: 0, fails: 0 };
        c[passed ? 'passes' : 'fails'] += 1;
        checks.set(name, c);
      }
    };
    const launch = (kind: RequestKind) => {
      const user = pickUser(kind);
      if (!user) {
        dropped += 1;
        return;
      }
      if (kind !== 'jwks' && Date.now() - user.tokenAt > TOKEN_RENEW_MS && !renewing.has(user)) {
        renewing.add(user);
        void signIn(target, user).catch(() => undefined).finally(() => renewing.delete(user));
      }
      inFlight += 1;
      const t0 = performance.now();
      send(target, kind, user)
        .then(({ answer, checks: named }) => record(kind, classify(answer.status, EXPECTED[kind]), String(answer.status), performance.now() - t0, named))
        .catch((error: unknown) => {
          const code = (error as { code?: string }).code ?? (error instanceof Error ? error.name : 'error');
          record(kind, 'error', code, undefined, Object.fromEntries([[`${kind}: answered`, false]]));
        })
        .finally(() => {
          inFlight -= 1;
          done += 1;
        });
    };

    const duration = totalDurationS(scenario.stages);
    const loopStart = performance.now();
    let lastSecond = 0;
    let lastDone = 0;
    say(`running ${scenario.name}: ${scenario.stages.length} stages, ${duration} s, peak ${peakRate(scenario)} req/s`);
    while (!options.signal?.aborted) {
      const t = (performance.now() - loopStart) / 1000;
      if (t >= duration) break;
      const due = Math.floor(arrivalsBy(scenario.startRate, scenario.stages, t));
      // bounded per tick: a stalled event loop must not turn into a burst of thousands
      for (let n = 0; fired < due && n < 500; n++) {
        fired += 1;
        const kind = weightedPick(mix, Math.random());
        if (inFlight >= scenario.maxInFlight) dropped += 1;
        else launch(kind);
      }
      const second = Math.floor(t);
      if (second > lastSecond) {
        const sorted = window.durations.sort((a, b) => a - b);
        const point = {
          t: second,
          rate: rateAt(scenario.startRate, scenario.stages, t),
          sent: fired,
          done,
          p95: percentile(sorted, 95),
          errors: window.errors,
          limited: window.limited,
          dropped,
          inFlight,
        };
        timeline.push(point);
        say(
          `${String(second).padStart(5)}s  rate ${point.rate.toFixed(1).padStart(6)}/s  rps ${String(done - lastDone).padStart(4)}  ` +
            `p95 ${Number.isNaN(point.p95) ? '   -  ' : `${point.p95.toFixed(0).padStart(5)}ms`}  errors ${point.errors}  429 ${point.limited}  ` +
            `dropped ${dropped}  in-flight ${inFlight}  sse ${listeners ? `${listeners.stats.opened}/${scenario.sseListeners}` : '-'}`,
        );
        lastDone = done;
        lastSecond = second;
        window = { durations: [], errors: 0, limited: 0 };
      }
      await sleep(5);
    }
    // let what was sent answer (bounded), then stop the listeners
    const drainUntil = performance.now() + DRAIN_MS;
    while (inFlight > 0 && performance.now() < drainUntil) await sleep(20);
    const elapsed = (performance.now() - loopStart) / 1000;
    stopListeners.abort();
    await listeners?.done;

    const routes: RouteResult[] = mix.map(([kind]) => {
      const r = recorders.get(kind)!;
      const count = r.ok + r.limited + r.errors;
      return {
        kind,
        route: KIND_ROUTES[kind],
        count,
        rps: count / elapsed,
        ok: r.ok,
        limited: r.limited,
        errors: r.errors,
        errorRate: count ? r.errors / count : 0,
        statuses: Object.fromEntries(r.statuses),
        latencyMs: summarise(r.durations),
      };
    });
    const all = [...recorders.values()];
    const requests = routes.reduce((s, r) => s + r.count, 0);
    const errors = routes.reduce((s, r) => s + r.errors, 0);
    const limited = routes.reduce((s, r) => s + r.limited, 0);
    const totals = {
      requests,
      rps: requests / elapsed,
      ok: routes.reduce((s, r) => s + r.ok, 0),
      limited,
      errors,
      errorRate: requests ? errors / requests : 0,
      limitedRate: requests ? limited / requests : 0,
      dropped,
      latencyMs: summarise(all.flatMap((r) => r.durations)),
    };
    const checkList = [...checks.entries()].map(([name, c]) => ({ name, ...c }));
    const checkPasses = checkList.reduce((s, c) => s + c.passes, 0);
    const checkTotal = checkList.reduce((s, c) => s + c.passes + c.fails, 0);
    const lookup = (metric: string, route: string | undefined, stat: string): number | undefined => {
      const scope = route ? routes.find((r) => r.kind === route) : undefined;
      if (route && (!scope || scope.count === 0)) return undefined;
      switch (metric) {
        case 'http_req_duration': {
          const l = scope ? scope.latencyMs : totals.latencyMs;
          if (l.count === 0) return undefined;
          const p = /^p\((.+)\)$/.exec(stat);
          if (p) return percentile([...(scope ? recorders.get(scope.kind)!.durations : all.flatMap((r) => r.durations))].sort((a, b) => a - b), Number(p[1]));
          return ({ avg: l.avg, med: l.med, min: l.min, max: l.max, count: l.count } as Record<string, number>)[stat];
        }
        case 'http_req_failed':
          return stat === 'count' ? (scope ?? totals).errors : scope ? scope.errorRate : totals.errorRate;
        case 'http_req_limited':
          return stat === 'count' ? (scope ?? totals).limited : scope ? (scope.count ? scope.limited / scope.count : 0) : totals.limitedRate;
        case 'checks':
          return stat === 'count' ? checkTotal - checkPasses : checkTotal ? checkPasses / checkTotal : undefined;
        case 'dropped_iterations':
          return stat === 'count' ? dropped : fired ? dropped / fired : 0;
        default:
          throw new Error(`threshold on unknown metric ${metric}`);
      }
    };
    const results = evaluateThresholds(thresholds, lookup);
    const sseLatency = listeners ? [...listeners.stats.connectMs].sort((a, b) => a - b) : [];
    return {
      scenario: scenario.name,
      description: scenario.description,
      model: 'open (arrival rate): undici at scheduled times',
      target: target.origin,
      runId,
      startedAt,
      durationS: elapsed,
      setup: { users: users.length, seconds: setupSeconds, filesProbe, eventsProbe },
      skipped,
      mix: Object.fromEntries(mix),
      stages: scenario.stages,
      totals,
      routes,
      checks: checkList,
      sse: listeners
        ? { wanted: scenario.sseListeners, opened: listeners.stats.opened, failed: listeners.stats.failed, events: listeners.stats.events, dropped: listeners.stats.dropped, connectMsP95: percentile(sseLatency, 95) }
        : { wanted: scenario.sseListeners, skipped: scenario.sseListeners > 0 ? eventsProbe.reason : 'no listeners in this scenario' },
      thresholds: results,
      passed: results.every((r) => r.verdict !== 'fail'),
      timeline,
    };
  } finally {
    await target.close();
  }
}
