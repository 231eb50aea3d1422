import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ensureTrace, traceOf } from '../src/logging.js';
import { requestContextOf } from '../src/request-context.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const request = (traceparent?: string) => ({ headers: traceparent === undefined ? {} : { traceparent } }) as unknown as IncomingMessage;

describe('trace context (W3C traceparent)', () => {
  it('reads the trace and span id of a version-00 header', () => {
    expect(traceOf(`00-${T}-${S}-01`)).toEqual({ traceId: T, spanId: S });
    expect(traceOf(`00-${T}-${S}-00`)).toEqual({ traceId: T, spanId: S });
  });

  it.each([
    ['all-zero trace id', `00-${'0'.repeat(32)}-${S}-01`],
    ['all-zero span id', `00-${T}-${'0'.repeat(16)}-01`],
    ['upper case', `00-${T.toUpperCase()}-${S}-01`],
    ['another version', `ff-${T}-${S}-01`],
    ['a short id', `00-${T.slice(1)}-${S}-01`],
    ['trailing garbage', `00-${T}-${S}-01-x`],
    ['not a string', 42],
  ])('refuses %s', (_what, header) => {
    expect(traceOf(header)).toBeUndefined();
  });

  it('keeps a request’s valid traceparent, and writes a fresh one in place of a missing or malformed one', () => {
    const kept = request(`00-${T}-${S}-01`);
    expect(ensureTrace(kept)).toEqual({ traceId: T, spanId: S });
    expect(kept.headers.traceparent).toBe(`00-${T}-${S}-01`);
    for (const given of [undefined, 'garbage', `00-${'0'.repeat(32)}-${S}-01`]) {
      const req = request(given);
      const fresh = ensureTrace(req);
      expect(fresh.traceId).toMatch(/^[0-9a-f]{32}$/);
      // not marked sampled: Dapr's sampling rate decides, not whoever called
      expect(req.headers.traceparent).toBe(`00-${fresh.traceId}-${fresh.spanId}-00`);
      expect(traceOf(req.headers.traceparent)).toEqual(fresh);
    }
    // two requests, two traces
    expect(ensureTrace(request()).traceId).not.toBe(ensureTrace(request()).traceId);
  });

  it('replaces the trace of a caller it does not trust (a client of the public listener), sampled flag and tracestate included', () => {
    const req = { headers: { traceparent: `00-${T}-${S}-01`, tracestate: 'vendor=forced' } } as unknown as IncomingMessage;
    const fresh = ensureTrace(req, false);
    expect(fresh.traceId).not.toBe(T);
    expect(req.headers.traceparent).toBe(`00-${fresh.traceId}-${fresh.spanId}-00`);
    expect(req.headers.tracestate).toBeUndefined();
  });

  it("puts the request's traceparent in the metadata of the events it causes, and nothing that is not one", () => {
    const fake = (traceparent?: string) =>
      ({ id: 'req-1', ip: '127.0.0.1', protocol: 'http', headers: traceparent ? { traceparent } : {}, raw: { socket: {} } }) as never;
    expect(requestContextOf(fake(`00-${T}-${S}-01`), { channel: 'main' }).metadata('user:u')).toMatchObject({ traceparent: `00-${T}-${S}-01` });
    expect(requestContextOf(fake('00-nope'), { channel: 'main' }).metadata('user:u')).not.toHaveProperty('traceparent');
    expect(requestContextOf(fake(), { channel: 'main' }).metadata('user:u')).not.toHaveProperty('traceparent');
  });
});
