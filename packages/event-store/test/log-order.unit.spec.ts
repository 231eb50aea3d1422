import { describe, expect, it } from 'vitest';
import { LOG_START, compareCursors, findOrderViolation, toCloudEvent } from '../src/index.js';

const e = (streamId: string, streamVersion: number, transactionId: string, globalPosition: number) => ({
  streamId,
  streamVersion,
  transactionId,
  globalPosition,
});

describe('log order', () => {
  it('orders by transaction id first, as 64-bit integers, then by position', () => {
    expect(compareCursors({ transactionId: '9', position: 100 }, { transactionId: '10', position: 1 })).toBe(-1);
    expect(compareCursors({ transactionId: '10', position: 2 }, { transactionId: '10', position: 1 })).toBe(1);
    expect(compareCursors({ transactionId: '10', position: 2 }, { transactionId: '10', position: 2 })).toBe(0);
    // beyond 2^53, where a Number would round
    expect(compareCursors({ transactionId: '9007199254740993', position: 0 }, { transactionId: '9007199254740992', position: 0 })).toBe(1);
    expect(compareCursors(LOG_START, { transactionId: '1', position: 1 })).toBe(-1);
  });

  it('accepts a log whose transactions commit out of position order', () => {
    // positions 3 and 4 were taken after 5 and 6 by a transaction with a smaller id
    expect(findOrderViolation([e('a', 1, '100', 3), e('b', 1, '100', 4), e('a', 2, '101', 1), e('c', 1, '102', 2)])).toBeUndefined();
  });

  it('reports a step back in the log, a gap in a stream and a stream going backwards', () => {
    expect(findOrderViolation([e('a', 1, '101', 1), e('b', 1, '100', 2)])).toMatch(/does not come after/);
    expect(findOrderViolation([e('a', 1, '100', 1), e('a', 3, '101', 2)])).toMatch(/version 3 where 2 was due/);
    expect(findOrderViolation([e('a', 2, '100', 1), e('a', 1, '101', 2)])).toMatch(/version 2 where 1 was due/);
    expect(findOrderViolation([e('a', 3, '100', 1)], new Map([['a', 2]]))).toBeUndefined();
  });
});

describe('CloudEvent envelope', () => {
  it('carries the event id, stream and metadata as CloudEvents attributes, and the published form as type, version and data', () => {
    const occurredAt = new Date('2026-03-04T05:06:07.000Z');
    const ce = toCloudEvent(
      {
        id: '5f0c6d1e-3f57-4d0f-9d62-1a7f2b0c9e11',
        type: 'FileUploaded',
        schemaVersion: 3,
        streamId: 'file-1',
        streamVersion: 3,
        globalPosition: 42,
        transactionId: '7',
        occurredAt,
        data: { name: 'a.txt', blobName: 'private/blob' },
        metadata: { actor: 'user-1', correlationId: 'corr-1', address: '203.0.113.5', userAgent: 'curl/8', other: 5 },
      },
      { type: 'FileUploaded', schemaVersion: 1, data: { name: 'a.txt' } },
      'strata/files',
    );
    expect(ce).toEqual({
      specversion: '1.0',
      id: '5f0c6d1e-3f57-4d0f-9d62-1a7f2b0c9e11',
      source: 'strata/files',
      type: 'FileUploaded',
      subject: 'file-1',
      time: '2026-03-04T05:06:07.000Z',
      datacontenttype: 'application/json',
      data: { name: 'a.txt' },
      schemaversion: 1,
      streamversion: 3,
      globalposition: 42,
      actor: 'user-1',
      correlationid: 'corr-1',
    });
  });
});
