import type { ScenarioFactory } from '../src/scenario.js';

/** Every kind once in a while at a low rate: is the system answering, correctly and fast? (< 60 s) */
const smoke: ScenarioFactory = () => ({
  name: 'smoke',
  description: 'every request kind at a low rate; strict thresholds (npm test runs it)',
  startRate: 2,
  stages: [
    { durationS: 5, targetRate: 4 },
    { durationS: 15, targetRate: 4 },
  ],
  mix: { me: 5, sessions: 2, jwks: 1, refresh: 1, signin: 1, list: 3, 'upload-small': 1, download: 2 },
  sseListeners: 2,
  users: 2,
  maxInFlight: 32,
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    dropped_iterations: ['count<1'],
    http_req_duration: ['p(95)<1000'],
    'http_req_duration{route:me}': ['p(95)<500'],
    'http_req_duration{route:jwks}': ['p(95)<500'],
  },
});
export default smoke;
