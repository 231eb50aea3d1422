/**
 * One upload, one trace: the trace id the gateway starts (a client's own is not continued: only a
 * trusted proxy's is, services/gateway test/client.unit.spec.ts) is the one files' event carries in its metadata (the request reached files through the gateway's
 * sidecar and files' with that traceparent) and the one its live event arrives with on the
 * uploader's stream (the relay published the CloudEvent in it; Dapr delivered it to the gateway
 * in it). A malformed traceparent is no error: the gateway starts a trace of its own.
 */
import type {} from '@strata/testing';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Client, eventually, openEventStream } from '@strata/testing/client';
import { afterAll, describe, expect, inject, it } from 'vitest';

const stack = inject('stack');
const db = new pg.Pool({ connectionString: stack.databaseUrl, max: 1, application_name: 'files-trace-test' });
afterAll(() => db.end());

async function uploadAndWatch(headers: Record<string, string>) {
  const alice = await Client.user(stack);
  const stream = await openEventStream(stack.gatewayUrl, alice.accessToken!);
  try {
    const res = await alice.upload('traced.txt', randomBytes(512), { type: 'text/plain', headers });
    expect(res.status).toBe(201);
    const fileId = (res.json as { id: string }).id;
    const live = await eventually('FileUploaded on the stream', async () => stream.events.find((e) => e.event === 'FileUploaded' && e.data.includes(fileId)), 15_000);
    const { rows } = await db.query<{ traceparent: string | null }>(
      "select metadata->>'traceparent' as traceparent from files.events where stream_id = $1 and type = 'FileUploaded'",
      [`file-${fileId}`],
    );
    return { live: JSON.parse(live.data) as { traceId?: string }, stored: rows[0]?.traceparent ?? null, rows: rows.length };
  } finally {
    await stream.close();
  }
}

describe('traces across gateway, files and the live stream', () => {
  it("does not continue a client's trace (only a trusted proxy's): one trace of its own from the gateway to files' event and to its SSE delivery", async () => {
    const traceId = randomBytes(16).toString('hex');
    const { live, stored, rows } = await uploadAndWatch({ traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, tracestate: 'vendor=forced' });
    expect(rows).toBe(1);
    // a caller from the internet picks no trace id the event log keeps, and forces no sampling
    expect(live.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(live.traceId).not.toBe(traceId);
    // files saw the gateway's trace (its own span in it: Dapr continues the trace, it does not copy the span)
    expect(stored).toMatch(new RegExp(`^00-${live.traceId}-[0-9a-f]{16}-0[01]$`));
  });

  it('starts a trace at the gateway when none came, and a malformed one is replaced, not refused', async () => {
    for (const headers of [{} as Record<string, string>, { traceparent: '00-not-a-trace' }, { traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` }]) {
      const { live, stored } = await uploadAndWatch(headers);
      expect(live.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(live.traceId).not.toBe('0'.repeat(32));
      expect(stored?.split('-')[1]).toBe(live.traceId);
    }
  });
});
