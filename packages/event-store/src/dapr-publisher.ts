import type { DaprClient } from '@strata/dapr';
import type { Publisher } from './relay.js';
import type { DomainEvent, PublishedEvent, RecordedEvent } from './types.js';

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

/** A CloudEvents 1.0 envelope; extension attribute names are lower-case alphanumerics by the spec. */
export interface EventCloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: unknown;
  schemaversion: number;
  streamversion: number;
  globalposition: number;
  actor?: string;
  correlationid?: string;
  causationid?: string;
  /** W3C trace context of the request that caused the event (both names: Dapr reads `traceid`). */
  traceparent?: string;
  traceid?: string;
}

/**
 * The envelope of one event, as published: type, schema version and data come from the service's
 * mapping, never from the stored event itself. Its id is the event id, so subscribers deduplicate
 * on it. Of the metadata only who and why travel (the transport context stays in the log).
 */
export function toCloudEvent(event: RecordedEvent, published: PublishedEvent, source: string): EventCloudEvent {
  const { actor, correlationId, causationId, traceparent } = event.metadata;
  return {
    specversion: '1.0',
    id: event.id,
    source,
    type: published.type,
    subject: event.streamId,
    time: event.occurredAt.toISOString(),
    datacontenttype: 'application/json',
    data: published.data,
    schemaversion: published.schemaVersion,
    streamversion: event.streamVersion,
    globalposition: event.globalPosition,
    ...(typeof actor === 'string' ? { actor } : {}),
    ...(typeof correlationId === 'string' ? { correlationid: correlationId } : {}),
    ...(typeof causationId === 'string' ? { causationid: causationId } : {}),
    // the trace of the request that caused the event: Dapr keeps a CloudEvent's own trace
    // attributes, so its delivery continues that trace instead of the relay's
    ...(typeof traceparent === 'string' ? { traceparent, traceid: traceparent } : {}),
  };
}

export interface DaprPublisherOptions<E extends DomainEvent = DomainEvent> {
  dapr: DaprClient;
  /** The pub/sub component's name (Components.pubsub). */
  pubsub: string;
  /** The topic of an event, usually from its category (the stream's prefix or the event type). */
  topic: (event: RecordedEvent<E>) => string;
  /**
   * The published form of a domain event: an explicit mapping, so nothing leaks by omission.
   * `null`: the event is the service's own bookkeeping and stays in the log, unpublished.
   */
  toPublished: (event: RecordedEvent<E>) => PublishedEvent | null;
  /** CloudEvents `source`, e.g. `strata/files`. */
  source: string;
  /** Streams published side by side (default 8); a stream's own events always go one after another. */
  concurrency?: number;
}

/**
 * Publishes through the sidecar's HTTP API as `application/cloudevents+json` (rawPayload off), so
 * Dapr keeps our envelope, and with it our id, adding only its tracing and topic attributes.
 */
export class DaprPublisher<E extends DomainEvent = DomainEvent> implements Publisher<E> {
  private readonly concurrency: number;

  constructor(private readonly options: DaprPublisherOptions<E>) {
    this.concurrency = options.concurrency ?? 8;
  }

  async publish(events: readonly RecordedEvent<E>[]): Promise<void> {
    // Per-stream order is kept by publishing each stream's events in sequence; different streams
    // have no order between them, so they go in parallel.
    const byStream = new Map<string, RecordedEvent<E>[]>();
    for (const event of events) {
      const list = byStream.get(event.streamId);
      if (list) list.push(event);
      else byStream.set(event.streamId, [event]);
    }
    const queues = [...byStream.values()];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < queues.length) {
        const queue = queues[next++]!;
        for (const event of queue) {
          const published = this.options.toPublished(event);
          if (published === null) continue;
          const cloudEvent = toCloudEvent(event, published, this.options.source);
          await this.options.dapr.publish(this.options.pubsub, this.options.topic(event), cloudEvent, {
            contentType: CLOUDEVENTS_CONTENT_TYPE,
          });
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(this.concurrency, queues.length) }, worker));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
