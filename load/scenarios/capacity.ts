import type { ScenarioFactory } from '../src/scenario.js';

/**
 * One step of the capacity sweep: the rate `durationS` is replaced by each step's rate (see
 * src/capacity.ts). The mix is ramp's, so the measured figures are for the traffic the HPA check models.
 */
const capacity: ScenarioFactory = () => ({
  name: 'capacity',
  description: "one replica of each service: the arrival rate is stepped up until a threshold breaks",
  startRate: 4,
  stages: [{ durationS: 15, targetRate: 4 }],
  mix: { me: 8, sessions: 3, jwks: 2, refresh: 1, signin: 1, list: 6, 'upload-small': 1, download: 3 },
  sseListeners: 0,
  users: 40,
  maxInFlight: 256,
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<500'],
    dropped_iterations: ['count<1'],
  },
});
export default capacity;

/** How the sweep steps: each step multiplies the rate, bounded in steps and time. */
export const sweep = { startRate: 4, factor: 1.35, stepS: 15, warmupS: 3, maxSteps: 10 };
