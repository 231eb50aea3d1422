import type {} from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { FileEventSchemas, FileEventTypes, Topics } from '@strata/contracts';
import { Client, eventually } from './support.js';

const stack = inject('stack');
const redis = new Redis(stack.redisUrl);
afterAll(() => redis.disconnect());

/** What Dapr's Redis Streams pub/sub holds for the topic: CloudEvents, each in a `data` field. */
interface Delivered {
  id: string;
  type: string;
  schemaversion: number;
  data: { fileId?: string };
}

async function published(): Promise<Delivered[]> {
  const entries = await redis.xrange(Topics.fileEvents, '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('data') + 1]!) as Delivered);
}

describe('events leave through the relay', () => {
  it('publishes every event of a file to files.events, with the event id as the CloudEvent id', async () => {
    const user = await Client.user(stack);
    const id = (await user.upload('announced.txt', Buffer.from('news'))).json.id as string;
    expect((await user.call('PATCH', `/api/v1/files/${id}`, { name: 'renamed.txt' })).status).toBe(200);
    expect((await user.call('DELETE', `/api/v1/files/${id}`)).status).toBe(204);
    const events = await eventually('the three events on the bus', async () => {
      const mine = (await published()).filter((e) => e.data.fileId === id);
      return mine.length >= 3 ? mine : undefined;
    });
    expect(events.map((e) => e.type)).toEqual([FileEventTypes.FileUploaded, FileEventTypes.FileRenamed, FileEventTypes.FileTrashed]);
    // what travels is the published contract, exactly: no blob name, no address, nothing it does not name
    for (const event of events) {
      const schema = FileEventSchemas[event.type as keyof typeof FileEventSchemas][1];
      expect(event.schemaversion).toBe(1);
      expect(Value.Check(schema, event.data), event.type).toBe(true);
    }
    const activity = (await user.call('GET', '/api/v1/activity')).json.items as { id: string }[];
    expect(events.map((e) => e.id).sort()).toEqual(activity.map((a) => a.id).sort());
    // the relaying replica says so in its metrics
    const metrics = await (await fetch(`http://127.0.0.1:${stack.apps.files!.internalPort}/metrics`)).text();
    expect(metrics).toMatch(/event_relay_leader\{topic="files\.events",app="files"\} 1/);
    expect(Number(/event_relay_published_total\{topic="files\.events",app="files"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
  });
});
