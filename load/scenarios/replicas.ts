import type { ScenarioFactory } from '../src/scenario.js';

/**
 * Two replicas of one service share the work (`npm start -- --replicas sessions=2`). Sessions for
 * now: sign-ins and reads through the gateway spread over both. When files lands, run it with
 * `--service files` (the mix then uploads, lists and downloads; see src/replicas.ts).
 */
const replicas: ScenarioFactory = () => ({
  name: 'replicas',
  description: 'two replicas share the work; no side effect is duplicated',
  startRate: 4,
  stages: [{ durationS: 20, targetRate: 8 }],
  mix: { signin: 2, me: 4, sessions: 2, refresh: 1 },
  sseListeners: 0,
  users: 10,
  maxInFlight: 64,
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
});
export default replicas;
