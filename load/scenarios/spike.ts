import type { ScenarioFactory } from '../src/scenario.js';

/** Quiet, then ten times the traffic within 10 s (a launch, a partner's batch), then quiet again. */
const spike: ScenarioFactory = () => ({
  name: 'spike',
  description: 'a sudden tenfold spike in arrivals and back',
  startRate: 3,
  stages: [
    { durationS: 20, targetRate: 3 },
    { durationS: 10, targetRate: 30 },
    { durationS: 40, targetRate: 30 },
    { durationS: 10, targetRate: 3 },
    { durationS: 30, targetRate: 3 },
  ],
  mix: { me: 8, sessions: 3, jwks: 2, refresh: 1, signin: 1, list: 6, 'upload-small': 1, download: 3 },
  sseListeners: 10,
  users: 25,
  maxInFlight: 256,
  thresholds: {
    http_req_failed: ['rate<0.02'],
    checks: ['rate>0.98'],
    http_req_duration: ['p(95)<2000'],
  },
  productionPeakRps: 600,
});
export default spike;
