import { manifestOf } from '@strata/contracts';
import { DaprClient } from '@strata/dapr';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    dapr: DaprClient;
  }
}

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

/**
 * The app's own sidecar as `app.dapr`, the sidecar in the readiness check, and a JSON parser for
 * CloudEvents bodies: without it Fastify answers 415, which Dapr takes as "retry" forever.
 */
export const daprPlugin = fp(
  async (app: FastifyInstance, opts: { httpPort: number; apiToken?: string | undefined; appId?: string }) => {
    // an app of Strata invokes only what its manifest declares (deploy/'s accessControl allows that)
    const manifest = opts.appId === undefined ? undefined : manifestOf(opts.appId);
    const client = new DaprClient({ httpPort: opts.httpPort, apiToken: opts.apiToken, invokes: manifest && Object.keys(manifest.invokes) });
    app.decorate('dapr', client);
    app.addContentTypeParser(
      ['application/cloudevents+json', 'application/cloudevents-batch+json'],
      { parseAs: 'string' },
      app.getDefaultJsonParser('error', 'error'),
    );
    app.addReadinessCheck('sidecar', async () =>
      (await client.isOutboundReady())
        ? { ok: true }
        : { ok: false, reason: `Dapr sidecar on port ${opts.httpPort} is not ready` },
    );
  },
  { name: 'strata-dapr', dependencies: ['strata-health'] },
);
