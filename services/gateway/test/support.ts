import type {} from '@strata/testing';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { gatewayReplica } from './replica.js';

/**
 * A gateway replica in this process, on the test stack's gateway sidecar, with rate limits on
 * unless `env` says otherwise (replica.ts). `listen` puts it on ports of its own for real HTTP clients.
 */
export function startGateway(env: Record<string, string> = {}, options: { listen?: boolean } = {}): Promise<FastifyInstance & { url: string }> {
  return gatewayReplica(inject('stack'), env, options);
}
