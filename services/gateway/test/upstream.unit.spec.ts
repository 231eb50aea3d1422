import { once } from 'node:events';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sidecarConnectionFailureStatus, sidecarFailureStatus, throughClient } from '../src/upstream.js';

// Dapr's own answer for a failed invocation: 500 and {"errorCode":"ERR_DIRECT_INVOKE","message":
// "failed to invoke, id: <app>, err: <why>"} (daprd pkg/api/http/directmessaging.go).
const dapr = (why: string) => JSON.stringify({ errorCode: 'ERR_DIRECT_INVOKE', message: `failed to invoke, id: files, err: ${why}` });

describe('a 5xx of the sidecar', () => {
  it('is a 503 (retry) when the call was never sent: no such app-id yet, a refused connection, nothing initialized', () => {
    for (const why of [
      'no host found with the given ID',
      'failed to invoke target files after 3 retries. Error: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:50002: connect: connection refused"',
      'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp: lookup files-dapr.strata.svc.cluster.local: no such host"',
      'rpc error: code = Internal desc = error invoking app channel: Post "http://127.0.0.1:3001/api/v1/files": dial tcp 127.0.0.1:3001: connect: connection refused',
      'cannot invoke local endpoint: app channel not initialized',
    ]) {
      expect(sidecarFailureStatus(500, dapr(why)), why).toBe(503);
    }
    expect(sidecarFailureStatus(500, JSON.stringify({ errorCode: 'ERR_DIRECT_INVOKE', message: 'invoke API is not ready' }))).toBe(503);
  });

  it('is a 502 when the app may have got the call: it died or the stream broke after the request was sent', () => {
    for (const why of [
      'rpc error: code = Internal desc = error invoking app channel: Post "http://127.0.0.1:3001/api/v1/files": EOF',
      'rpc error: code = Unavailable desc = error reading from server: read tcp 127.0.0.1:40000->127.0.0.1:50002: read: connection reset by peer',
      'error receiving message: rpc error: code = Canceled desc = context canceled',
    ]) {
      expect(sidecarFailureStatus(500, dapr(why)), why).toBe(502);
    }
    // not Dapr's JSON, or another of its errors
    expect(sidecarFailureStatus(500, 'Internal Server Error')).toBe(502);
    expect(sidecarFailureStatus(500, '')).toBe(502);
    expect(sidecarFailureStatus(500, JSON.stringify({ errorCode: 'ERR_MALFORMED_RESPONSE', message: 'connect: connection refused' }))).toBe(502);
  });

  it('is a 504 for its timeout', () => {
    expect(sidecarFailureStatus(504, dapr('context deadline exceeded'))).toBe(504);
  });
});

describe('no answer from the sidecar at all (reply-from would answer 500)', () => {
  const wrapped = (code: string) => Object.assign(new Error('reply-from'), { code: 'FST_REPLY_FROM_INTERNAL_SERVER_ERROR', cause: Object.assign(new Error('x'), { code }) });
  it('is a 503 when the sidecar refused the connection: the call was never sent', () => {
    expect(sidecarConnectionFailureStatus(wrapped('ECONNREFUSED'))).toBe(503);
  });
  it('is a 502 when the connection was cut or reset mid-call: the app may have done the work', () => {
    expect(sidecarConnectionFailureStatus(Object.assign(new Error('Undici Socket Error'), { code: 'UND_ERR_SOCKET', cause: new Error('other side closed') }))).toBe(502);
    expect(sidecarConnectionFailureStatus(Object.assign(new Error('Connection Reset'), { code: 'ECONNRESET' }))).toBe(502);
  });
  it('is a 504 on a timeout', () => {
    expect(sidecarConnectionFailureStatus(Object.assign(new Error('t'), { code: 'UND_ERR_CONNECT_TIMEOUT' }))).toBe(504);
  });
});

describe('an upstream body on its way to the client (throughClient)', () => {
  const log = { info: () => undefined } as unknown as Parameters<typeof throughClient>[1];
  const piece = (i: number) => Buffer.alloc(2048, i & 0xff);

  it("leaves in as few writes as it arrived in: 1,000 pieces of 2 KiB that came together are read together, every byte in order", async () => {
    const upstream = new Readable({ read() {} });
    for (let i = 0; i < 1000; i++) upstream.push(piece(i));
    upstream.push(null);
    const chunks: Buffer[] = [];
    for await (const c of throughClient(upstream, log)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(Buffer.concat(Array.from({ length: 1000 }, (_, i) => piece(i))))).toBe(true);
    // one per 64 KiB or so (what the source buffers), not one per piece
    expect(chunks.length).toBeLessThan(100);
  });

  it('holds nothing back to wait for more: a piece that came alone reaches the client before the next is sent', async () => {
    const upstream = new Readable({ read() {} });
    const out = throughClient(upstream, log);
    const got: string[] = [];
    out.on('data', (c: Buffer) => got.push(c.toString()));
    upstream.push('first event');
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['first event']);
    upstream.push('second event');
    upstream.push(null);
    await once(out, 'end');
    expect(got).toEqual(['first event', 'second event']);
  });

  it('keeps backpressure: while the client reads nothing, the source is not drained', async () => {
    let asked = 0;
    const upstream = new Readable({
      highWaterMark: 64 * 1024,
      read() {
        asked++;
        this.push(piece(asked));
      },
    });
    const out = throughClient(upstream, log);
    await new Promise((r) => setTimeout(r, 50));
    // the source's buffer and ours fill up, then nothing more is asked for
    const buffered = upstream.readableLength + out.readableLength + out.writableLength;
    expect(buffered).toBeLessThan(512 * 1024);
    const before = asked;
    await new Promise((r) => setTimeout(r, 50));
    expect(asked).toBe(before);
    upstream.destroy();
    out.destroy();
  });

  it('when the client leaves first, reads the rest to its end and drops it (daprd must not see its caller leave)', async () => {
    let sent = 0;
    const upstream = new Readable({
      read() {
        sent++;
        this.push(sent > 500 ? null : piece(sent));
      },
    });
    const out = throughClient(upstream, log);
    out.once('data', () => out.destroy());
    await once(upstream, 'end');
    expect(sent).toBe(501);
  });

  it("passes the source's error on to the client's stream", async () => {
    const upstream = new Readable({ read() {} });
    const out = throughClient(upstream, log);
    const failed = once(out, 'error');
    upstream.destroy(new Error('the sidecar cut the stream'));
    const [error] = (await failed) as [Error];
    expect(error.message).toBe('the sidecar cut the stream');
  });
});
