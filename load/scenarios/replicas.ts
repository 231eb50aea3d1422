import type { ScenarioFactory } from '../src/scenario.js';

/**
 * Two replicas of files share the work (`npm start -- --replicas files=2`): list, upload and
 * download through the gateway; src/replicas.ts adds the idempotency, If-Match and event checks.
 */
const replicas: ScenarioFactory = () => ({
  name: 'replicas',
  description: 'two replicas share the work; no side effect is duplicated',
  startRate: 4,
  stages: [{ durationS: 20, targetRate: 8 }],
  mix: { list: 4, 'upload-small': 2, download: 2 },
  sseListeners: 0,
  users: 10,
  maxInFlight: 64,
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
});
export default replicas;
