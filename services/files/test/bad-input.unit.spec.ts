import { AppError } from '@strata/service-kit';
import { describe, expect, it } from 'vitest';
import { BadCursorError, decodeCursor, decodeTrashCursor } from '../src/projections/queries.js';
import { bodyError, fromClient } from '../src/upload/body.js';

const id = '0b7c6f52-5a2e-4a39-9d3c-6b1f1e0c9a11';
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('list cursors', () => {
  it('gives back what the API encoded, for the sort it was made for', () => {
    expect(decodeCursor(cursor(['report.pdf', id]), 'name')).toEqual(['report.pdf', id]);
    expect(decodeCursor(cursor(['2026-12-01T09:00:00.123Z', id]), 'updated_at')).toEqual(['2026-12-01T09:00:00.123Z', id]);
    expect(decodeCursor(cursor(['1048576', id]), 'size')).toEqual(['1048576', id]);
    const at = new Date('2026-11-30T23:59:59.999Z');
    expect(decodeTrashCursor(Buffer.from(`${at.toISOString()}|${id}`).toString('base64url'))).toEqual([at, id]);
  });

  it('refuses anything else, whatever its shape, before it reaches Postgres', () => {
    const refused: [string, 'name' | 'created_at' | 'updated_at' | 'size'][] = [
      ['%ff%ff', 'name'],
      ['!!!!', 'name'],
      ['', 'name'],
      [Buffer.from('not json').toString('base64url'), 'name'],
      [cursor({ value: 'x', id }), 'name'],
      [cursor(['x']), 'name'],
      [cursor(['x', id, 'extra']), 'name'],
      [cursor([1, id]), 'name'],
      [cursor(['a\u0000b', id]), 'name'],
      [cursor(['x'.repeat(1025), id]), 'name'],
      [cursor(['x', '-'.repeat(36)]), 'name'],
      [cursor(['x', id.toUpperCase()]), 'name'],
      [cursor(['x', `urn:uuid:${id}`]), 'name'],
      [cursor(['x', id]), 'updated_at'],
      [cursor(['1', id]), 'created_at'],
      [cursor(['2026-02-31T00:00:00.000Z', id]), 'created_at'],
      [cursor(['2026-12-01', id]), 'created_at'],
      [cursor(['x', id]), 'size'],
      [cursor([12, id]), 'size'],
      [cursor(['-1', id]), 'size'],
      [cursor(['9'.repeat(19), id]), 'size'],
      ['A'.repeat(5000), 'size'],
    ];
    for (const [value, column] of refused) expect(() => decodeCursor(value, column), `${value.slice(0, 30)} for ${column}`).toThrow(BadCursorError);
    for (const value of ['%ff', Buffer.from(`1|${id}`).toString('base64url'), Buffer.from(`2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`).toString('base64url'), Buffer.from(`2026-01-01T00:00:00.000Z|${id}|x`).toString('base64url')]) {
      expect(() => decodeTrashCursor(value), value).toThrow(BadCursorError);
    }
  });
});

describe('request body errors', () => {
  const problem = (error: unknown) => {
    const mapped = bodyError(error);
    return { status: mapped.status, code: mapped.code };
  };

  it('are the client’s: a cut is incomplete, a bad shape malformed, too many parts too large', () => {
    expect(problem(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))).toEqual({ status: 400, code: 'incomplete-body' });
    expect(problem(Object.assign(new Error('closed early'), { code: 'FST_MP_PREMATURE_CLOSE' }))).toEqual({ status: 400, code: 'incomplete-body' });
    expect(problem(new Error('Unexpected end of multipart data'))).toEqual({ status: 400, code: 'incomplete-body' });
    expect(problem(new Error('Part terminated early due to unexpected end of multipart data'))).toEqual({ status: 400, code: 'incomplete-body' });
    expect(problem(new Error('Multipart: Boundary not found'))).toEqual({ status: 400, code: 'malformed-body' });
    expect(problem(Object.assign(new Error('reach files limit'), { code: 'FST_FILES_LIMIT' }))).toEqual({ status: 400, code: 'malformed-body' });
    expect(problem(Object.assign(new Error('reach parts limit'), { code: 'FST_PARTS_LIMIT' }))).toEqual({ status: 413, code: 'payload-too-large' });
    expect(problem(Object.assign(new Error('bad json field'), { code: 'FST_INVALID_JSON_FIELD_ERROR' }))).toEqual({ status: 400, code: 'malformed-body' });
    expect(problem('something odd')).toEqual({ status: 400, code: 'malformed-body' });
    const own = new AppError(413, 'file-too-large', 'File too large');
    expect(bodyError(own)).toBe(own);
  });

  it('are mapped while reading, but what the consumer throws is not', async () => {
    async function* cut() {
      yield Buffer.from('first');
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    const read: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of fromClient(cut())) read.push(chunk);
      })(),
    ).rejects.toMatchObject({ status: 400, code: 'incomplete-body' });
    expect(Buffer.concat(read).toString()).toBe('first');

    async function* endless() {
      for (;;) yield Buffer.from('x');
    }
    const consumerError = new Error('the blob store is down');
    await expect(
      (async () => {
        for await (const _chunk of fromClient(endless())) throw consumerError;
      })(),
    ).rejects.toBe(consumerError);
  });
});
