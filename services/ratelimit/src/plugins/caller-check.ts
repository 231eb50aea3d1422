import { httpError } from '@strata/service-kit';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

/** Set by the Dapr sidecar on every service invocation: the app-id of the app that called. */
export const CALLER_HEADER = 'dapr-caller-app-id';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Only allowed callers (the gateway) may ask for decisions. The caller's app-id is what the
 * sidecar reports; it can be believed because the platform answers this app's API only to
 * requests that carry the sidecar's token (APP_API_TOKEN, service-kit's listener guard), plus
 * Dapr accessControl and a NetworkPolicy in production (see README).
 */
export function callerCheck(opts: { allowed: readonly string[] }): onRequestAsyncHookHandler {
  const allowed = new Set(opts.allowed);
  return async (request) => {
    const caller = header(request, CALLER_HEADER);
    if (caller === undefined || !allowed.has(caller)) {
      throw httpError(403, `${caller ? `App "${caller}"` : 'A caller without a Dapr app-id'} may not ask for rate-limit decisions.`);
    }
  };
}
