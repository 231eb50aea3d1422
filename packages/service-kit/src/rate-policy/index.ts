/*
 * Rate-limit policies, one module for the ratelimit service (which enforces them) and the
 * gateway's local fallback (which applies them while the service does not answer): the policy
 * schema, selection, what each limit counts, and the RateLimit fields. Pure: no Fastify, no Redis.
 */
export * from './schema.js';
export * from './policies.js';
export * from './fields.js';
export { defaultPolicySet } from './default-policies.js';
