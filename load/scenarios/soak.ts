import type { ScenarioFactory } from '../src/scenario.js';

/** A steady moderate rate for a long time: leaks, growing latencies, token expiry (default 10 min). */
const soak: ScenarioFactory = ({ durationS = 600 }) => ({
  name: 'soak',
  description: `a steady rate held for ${durationS} s (--duration <s> changes it)`,
  startRate: 1,
  stages: [
    { durationS: 30, targetRate: 10 },
    { durationS, targetRate: 10 },
    { durationS: 15, targetRate: 0 },
  ],
  mix: { me: 8, sessions: 3, jwks: 2, refresh: 1, signin: 1, list: 6, 'upload-small': 1, download: 3 },
  sseListeners: 10,
  users: 15,
  maxInFlight: 128,
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    http_req_duration: ['p(95)<1000', 'p(99)<2500'],
  },
});
export default soak;
