import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { platformPlugin } from '@strata/service-kit';
import type { UiConfig } from './config.js';

type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * The UI as a Fastify app: the same health, metrics, logging and shutdown as every service, with
 * the SvelteKit adapter-node handler answering every other path.
 */
export default async function ui(app: FastifyInstance, opts: { config: UiConfig }) {
  const { config } = opts;
  await app.register(platformPlugin, { config, heartbeat: false });

  const handlerFile = join(config.UI_BUILD_DIR, 'handler.js');
  if (!existsSync(handlerFile)) {
    throw new Error(`no UI build at ${config.UI_BUILD_DIR}: run "npm run build -w @strata/ui" first`);
  }
  const { handler } = (await import(pathToFileURL(handlerFile).href)) as { handler: NodeHandler };

  // SvelteKit reads request bodies itself (form actions): leave them unparsed
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const toSvelteKit = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    handler(request.raw, reply.raw, () => {
      reply.raw.statusCode = 404;
      reply.raw.end('Not found');
    });
  };
  app.route({ method: ['GET', 'HEAD', 'POST'], url: '/', handler: toSvelteKit });
  app.route({ method: ['GET', 'HEAD', 'POST'], url: '/*', handler: toSvelteKit });
}
