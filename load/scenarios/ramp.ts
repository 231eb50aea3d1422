import type { ScenarioFactory } from '../src/scenario.js';

/** A working day compressed: up to the plateau, hold, up to the peak, hold, down (3 min). */
const ramp: ScenarioFactory = () => ({
  name: 'ramp',
  description: 'ramping arrival rate to a plateau and a peak, then down',
  startRate: 2,
  stages: [
    { durationS: 30, targetRate: 12 },
    { durationS: 45, targetRate: 12 },
    { durationS: 30, targetRate: 24 },
    { durationS: 45, targetRate: 24 },
    { durationS: 30, targetRate: 0 },
  ],
  mix: { me: 8, sessions: 3, jwks: 2, refresh: 1, signin: 1, list: 6, 'upload-small': 1, download: 3 },
  sseListeners: 10,
  users: 20,
  maxInFlight: 256,
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    http_req_duration: ['p(95)<1000', 'p(99)<2500'],
    'http_req_duration{route:me}': ['p(95)<500'],
    'http_req_duration{route:list}': ['p(95)<750'],
  },
  // the production peak the HPA check scales this profile to (override with --target-rps)
  productionPeakRps: 400,
});
export default ramp;
