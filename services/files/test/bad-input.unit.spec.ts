import { describe, expect, it } from 'vitest';
import { BadCursorError, decodeCursor, decodeTrashCursor } from '../src/projections/queries.js';

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
