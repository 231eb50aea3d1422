import { AppIds, CLIENT_ADDRESS_HEADER, CLIENT_PROTO_HEADER } from '@strata/contracts';
import { type Clock, type EventMetadata, systemClock } from '@strata/event-store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ListenerName } from './listeners.js';
import { listenerOf } from './listeners.js';
import { traceOf } from './logging.js';

/** Longest client address kept: an IPv6 address with a zone fits; anything longer is not an address. */
export const MAX_ADDRESS_LENGTH = 64;
/** User agents are kept for people to read (activity, devices); a header may be kilobytes long. */
export const MAX_USER_AGENT_LENGTH = 300;

/** The request as a route needs to know it, beside the caller's token: who relayed it, from where, when. */
export interface RequestContext {
  /**
   * The Dapr app-id of the calling app (`dapr-caller-app-id`), undefined for a call that did not
   * come through this app's sidecar. Believed only on the listener the sidecar talks to, where
   * the listener guard lets through nothing without the sidecar's app token.
   */
  callerAppId: string | undefined;
  /** The client's address: as the gateway saw it when the gateway called, else the connection's peer. */
  clientAddress: string;
  /** The protocol the client used, by the same rule. */
  clientProtocol: 'http' | 'https';
  userAgent: string | undefined;
  /** The request id, which every event the request causes carries as its correlation id. */
  correlationId: string;
  clock: Clock;
  /** The metadata of the events this request causes: who acts, which request, and from where. */
  metadata(actor: string): EventMetadata;
}

export interface RequestContextOptions {
  /** The listener the app's sidecar talks to (APP_CHANNEL). */
  channel: ListenerName;
  clock?: Clock;
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

export function requestContextOf(request: FastifyRequest, options: RequestContextOptions): RequestContext {
  const callerAppId = listenerOf(request.raw) === options.channel ? header(request, 'dapr-caller-app-id') : undefined;
  // the gateway passes the client as it saw it in headers of its own (and drops a client's own
  // copies); any other caller is where the connection comes from
  const viaGateway = callerAppId === AppIds.gateway;
  const forwardedAddress = viaGateway ? header(request, CLIENT_ADDRESS_HEADER) : undefined;
  const forwardedProtocol = viaGateway ? header(request, CLIENT_PROTO_HEADER) : undefined;
  const clientAddress = (forwardedAddress ?? request.ip).slice(0, MAX_ADDRESS_LENGTH);
  const clientProtocol = viaGateway ? (forwardedProtocol === 'https' ? 'https' : 'http') : request.protocol;
  const userAgent = header(request, 'user-agent')?.slice(0, MAX_USER_AGENT_LENGTH);
  const correlationId = request.id;
  // the request's trace (server.ts made sure of one): its events are published in it
  const traceparent = traceOf(request.headers.traceparent) ? header(request, 'traceparent') : undefined;
  return {
    callerAppId,
    clientAddress,
    clientProtocol,
    userAgent,
    correlationId,
    clock: options.clock ?? systemClock,
    metadata: (actor) => ({ actor, correlationId, address: clientAddress, ...(userAgent ? { userAgent } : {}), ...(traceparent ? { traceparent } : {}) }),
  };
}

/** The transport context an event's metadata holds, as read models show it (older events may lack it). */
export function transportOf(metadata: EventMetadata): { address: string | null; userAgent: string | null } {
  return {
    address: typeof metadata.address === 'string' ? metadata.address.slice(0, MAX_ADDRESS_LENGTH) : null,
    userAgent: typeof metadata.userAgent === 'string' ? metadata.userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null,
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The service's time: injected (tests drive it), the same for routes, jobs and commands. */
    clock: Clock;
  }
  interface FastifyRequest {
    /** Who relayed the request, from where, when: read once, the same way in every app. */
    context: RequestContext;
  }
}

const CONTEXT = Symbol('strata.request-context');

/** `app.clock` and `request.context` for every route of the app. */
export const requestContextPlugin = fp(
  async (app: FastifyInstance, opts: RequestContextOptions) => {
    const clock = opts.clock ?? systemClock;
    app.decorate('clock', clock);
    app.decorateRequest('context', {
      getter(this: FastifyRequest & { [CONTEXT]?: RequestContext }) {
        this[CONTEXT] ??= requestContextOf(this, { channel: opts.channel, clock });
        return this[CONTEXT];
      },
    });
  },
  { name: 'strata-request-context' },
);
