import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readSmall } from '../src/plugins/response-cache.js';

describe('readSmall', () => {
  it('reads a small answer whole', async () => {
    const got = await readSmall(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]));
    expect(got).toMatchObject({ complete: true, body: '{"a":1}' });
  });

  it('stops at its bound and leaves the rest of a large answer to be read, not destroyed', async () => {
    const chunk = Buffer.alloc(64 * 1024, 97);
    const stream = Readable.from(Array.from({ length: 32 }, () => chunk));
    const got = await readSmall(stream);
    expect(got.complete).toBe(false);
    let rest = 0;
    for await (const more of stream) rest += (more as Buffer).length;
    expect(got.chunks.reduce((n, c) => n + c.length, 0) + rest).toBe(32 * chunk.length);
  });
});
