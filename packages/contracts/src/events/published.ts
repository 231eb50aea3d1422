import type { Static, TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** A topic's published events: for each event type, its data schema by schema version. */
export type EventSchemas = Readonly<Record<string, Readonly<Record<number, TObject>>>>;

/** Every (type, version, data) a topic's schemas allow, as one discriminated union. */
export type PublishedOf<S extends EventSchemas> = {
  [T in keyof S & string]: { [V in keyof S[T] & number]: { type: T; schemaVersion: V; data: Static<S[T][V]> } }[keyof S[T] & number];
}[keyof S & string];

/** A delivered CloudEvent, as much of it as reading needs. */
export interface DeliveredCloudEvent {
  type: string;
  /** Absent from events published before versions were sent: those are v1. */
  schemaversion?: unknown;
  data: unknown;
}

/**
 * Reads a delivered event as one of its topic's published events: undefined when its type or
 * version is not one the topic publishes or its data does not fit the schema. A tolerant reader:
 * members the schema does not name are dropped rather than refused, so a producer may add one
 * in a new version without breaking this subscriber.
 */
export function readPublished<S extends EventSchemas>(schemas: S, event: DeliveredCloudEvent): PublishedOf<S> | undefined {
  const version = event.schemaversion === undefined ? 1 : event.schemaversion;
  if (typeof version !== 'number') return undefined;
  const schema = schemas[event.type]?.[version];
  if (!schema) return undefined;
  const data = Value.Clean(schema, structuredClone(event.data));
  if (!Value.Check(schema, data)) return undefined;
  // checked against the very schema the union is made of: TypeScript cannot follow the lookup by value
  return { type: event.type, schemaVersion: version, data } as PublishedOf<S>;
}
