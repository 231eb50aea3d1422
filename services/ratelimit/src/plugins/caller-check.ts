import { timingSafeEqual } from 'node:crypto';
import { httpError } from '@strata/service-kit';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

/** Set by the Dapr sidecar on every service invocation: the app-id of the app that called. */
export const CALLER_HEADER = 'dapr-caller-app-id';
/** Sent by the sidecar to its app when the sidecar runs with APP_API_TOKEN. */
export const APP_TOKEN_HEADER = 'dapr-api-token';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Only allowed callers (the gateway) may ask for decisions. The caller's app-id is what the
 * sidecar reports; that header is only trustworthy when nothing but the sidecar can reach the
 * app, which production ensures with APP_API_TOKEN (checked here) plus Dapr accessControl and a
 * NetworkPolicy (see README).
 */
export function callerCheck(opts: { allowed: readonly string[]; appApiToken?: string | undefined }): onRequestAsyncHookHandler {
  const allowed = new Set(opts.allowed);
  return async (request) => {
    if (opts.appApiToken !== undefined) {
      const token = header(request, APP_TOKEN_HEADER);
      if (token === undefined || !sameSecret(token, opts.appApiToken)) {
        throw httpError(401, 'Requests must come through the Dapr sidecar.');
      }
    }
    const caller = header(request, CALLER_HEADER);
    if (caller === undefined || !allowed.has(caller)) {
      throw httpError(403, `${caller ? `App "${caller}"` : 'A caller without a Dapr app-id'} may not ask for rate-limit decisions.`);
    }
  };
}
