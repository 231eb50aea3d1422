import type { ScenarioFactory } from '../src/scenario.js';

/**
 * One step of the capacity sweep: the rate `durationS` is replaced by each step's rate (see
 * src/capacity.ts). The mix is ramp's (files kinds included), so the measured figures are for the
 * traffic the HPA check models.
 */
const capacity: ScenarioFactory = () => ({
  name: 'capacity',
  description: "one replica of each service: the arrival rate is stepped up until a threshold breaks",
  startRate: 8,
  stages: [{ durationS: 15, targetRate: 8 }],
  mix: { me: 8, sessions: 3, jwks: 2, refresh: 1, signin: 1, list: 6, 'upload-small': 1, download: 3 },
  sseListeners: 0,
  users: 20,
  maxInFlight: 256,
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<500'],
    dropped_iterations: ['count<1'],
  },
});
export default capacity;

/**
 * How the sweep steps. Coarse: from startRate, each step multiplies the rate by `factor` until a
 * step breaks a threshold (confirmed by running that rate once more after a pause: the machine is
 * shared, one bad step is not a breaking point) or the `ceilingRate` is reached. Fine: `refineSteps`
 * bisections (geometric) between the highest rate held and the lowest that broke. Bounded:
 * at most `maxSteps` coarse steps, and the whole sweep within `maxMinutes`.
 */
export const sweep = { startRate: 8, factor: 1.5, ceilingRate: 600, stepS: 15, pauseS: 4, maxSteps: 12, refineSteps: 3, maxMinutes: 12 };
