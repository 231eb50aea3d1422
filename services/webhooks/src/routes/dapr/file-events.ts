import { Components, FileEventSchemas, Topics, readPublished } from '@strata/contracts';
import type { DeliveredEvent, DeliveryOutcome } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';

/** The body a webhook carries for one published event (the Standard Webhooks shape: type, timestamp, data). */
export function webhookBody(event: { type: string; time?: string | undefined; data: unknown }, fallbackTime: Date): string {
  return JSON.stringify({ type: event.type, timestamp: event.time ?? fallbackTime.toISOString(), data: event.data });
}

/**
 * Files' events from `files.events`: each one, once (its id noted in the same transaction), becomes
 * a delivery for every endpoint of its owner whose filter takes it. Redis may redeliver or lose
 * the acknowledgement: the dedupe makes that harmless, and the deliveries table, not memory, is
 * what the dispatcher sends from.
 */
export async function fileEventRoutes(app: FastifyInstance, opts: { onWork: () => void; gapMs: number }) {
  app.subscribe({
    pubsubname: Components.pubsub,
    topic: Topics.fileEvents,
    path: '/dapr/events/files',
    handler: async (delivered: DeliveredEvent, request): Promise<DeliveryOutcome> => {
      const event = readPublished(FileEventSchemas, delivered);
      // not an event files publishes, or data that does not fit it: retrying cannot help
      if (!event) return 'DROP';
      const raw = request.body as { subject?: unknown; streamversion?: unknown } | undefined;
      const data = event.data as { ownerId: string; fileId?: string; folderId?: string };
      // a file's (or folder's) events are ordered by their stream's version; older publishers sent no subject
      const stream = typeof raw?.subject === 'string' ? raw.subject : (data.fileId ?? data.folderId ?? delivered.id);
      const streamVersion = typeof raw?.streamversion === 'number' ? raw.streamversion : 0;
      try {
        const now = app.clock.now();
        const result = await app.webhooks.enqueue(
          { id: delivered.id, type: event.type, ownerId: data.ownerId, stream, streamVersion, body: webhookBody({ type: event.type, time: delivered.time, data: event.data }, now) },
          now,
          opts.gapMs,
        );
        if (result.deliveries > 0) opts.onWork();
        return 'SUCCESS';
      } catch (err) {
        app.log.warn({ err, event: delivered.id, type: delivered.type }, 'a file event was not queued for webhooks; Dapr delivers it again');
        return 'RETRY';
      }
    },
  });
}
