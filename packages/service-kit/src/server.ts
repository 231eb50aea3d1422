import closeWithGrace from 'close-with-grace';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BaseConfig, ConfigError } from './config.js';
import { httpError, sendProblem } from './errors.js';
import { InternalListener, answerClientError, listenerGuard, listenerOf, mainServer } from './listeners.js';
import { ensureTrace, loggerOptions, requestId } from './logging.js';
import { pathProblem, rewriteToCanonical } from './paths.js';
import { StartupError } from './secrets.js';
import { drainUnreadBody, refuseUndecodableQuery } from './requests.js';

export interface ServerOptions<C extends BaseConfig> {
  config: C;
  /** The service as a Fastify plugin (app.ts). */
  app: FastifyPluginAsync<{ config: C }>;
  /** Largest request body the service itself parses (streams are not limited by this). */
  bodyLimit?: number;
  /**
   * Whose `traceparent` is continued besides the app's sidecar (requests on its Dapr channel):
   * the gateway's trusted proxies. Anyone else's is replaced by a new trace.
   */
  trustsTraceparent?: (config: C) => (req: IncomingMessage) => boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Probes, metrics and operator views; `runServer` listens on it beside the main listener. */
    internalListener: InternalListener;
  }
}

/** Builds the Fastify instance every service uses; tests call this and `inject`, only server.ts listens. */
export async function buildServer<C extends BaseConfig>(options: ServerOptions<C>): Promise<FastifyInstance> {
  const { config } = options;
  let internal: InternalListener | undefined;
  const trustedOther = options.trustsTraceparent?.(config);
  const trustsTrace = (req: IncomingMessage) => listenerOf(req) === config.APP_CHANNEL || (trustedOther?.(req) ?? false);
  const server = Fastify({
    logger: loggerOptions(config.APP_ID, config.LOG_LEVEL) as never,
    genReqId: requestId,
    // every line a request logs carries its trace id (the traceparent Dapr passes, or a new one)
    childLoggerFactory: (logger, bindings, opts, rawReq) => logger.child({ ...bindings, traceId: ensureTrace(rawReq, trustsTrace(rawReq)).traceId }, opts),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // keep-alive connections are closed on shutdown instead of holding it open
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false },
    // routes, the public surface, rate-limit classes and cache keys all see one spelling of a path
    rewriteUrl: rewriteToCanonical,
    clientErrorHandler: answerClientError,
    // the router's own refusals (a path it cannot decode, a parameter over maxParamLength) are
    // problems like every other
    frameworkErrors: (error, request, reply) => {
      const status = typeof (error as { statusCode?: number }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 400;
      void sendProblem(reply as FastifyReply, httpError(status, error.message).toProblem(request.url.split('?')[0]));
    },
    serverFactory: (handler) => {
      internal = new InternalListener(handler);
      return mainServer(handler);
    },
    // an unknown field is an error the client should hear about, not something silently dropped
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  server.decorate('internalListener', internal!);
  server.addHook('onClose', async () => internal?.close());
  const guard = listenerGuard({ channel: config.APP_CHANNEL, appToken: config.APP_API_TOKEN });
  server.addHook('onRequest', async (request) => {
    const problem = pathProblem(request.raw);
    if (problem) throw httpError(400, `The request path cannot be read: ${problem}.`);
    await refuseUndecodableQuery(request);
    await guard(request);
  });
  server.addHook('onResponse', drainUnreadBody);
  server.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  await server.register(options.app, { config });
  return server;
}

/**
 * Listens, then on SIGINT/SIGTERM (or an uncaught error) stops taking requests, lets in-flight
 * ones finish within the grace period, and closes every resource through onClose hooks.
 */
export async function runServer<C extends BaseConfig>(
  options: Omit<ServerOptions<C>, 'config'> & { loadConfig: () => C },
): Promise<FastifyInstance> {
  let config: C;
  try {
    config = options.loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // a readable message and a non-zero exit, not a stack trace
    console.error(error.message);
    process.exit(78);
  }
  let server: FastifyInstance;
  try {
    server = await buildServer({ ...options, config });
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    // what the operator must fix, said once; the process ends instead of retrying on its own
    console.error(`${config.APP_ID} cannot start: ${error.message}`);
    process.exit(78);
  }
  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) server.log.error({ err }, 'stopping after an error');
    else server.log.info({ signal }, 'shutting down');
    await server.close();
  });
  await server.listen({ port: config.PORT, host: config.HOST });
  const internal: AddressInfo = await server.internalListener.listen(config.INTERNAL_PORT, config.INTERNAL_HOST);
  server.log.info({ address: `${internal.address}:${internal.port}` }, 'internal listener (probes, metrics, operator views) up');
  return server;
}
