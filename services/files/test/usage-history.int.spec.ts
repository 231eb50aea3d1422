import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { Client } from './support.js';

const stack = inject('stack');

describe('usage over time', () => {
  it('gives the stored bytes per day: uploads and versions add, a purge takes away', async () => {
    const user = await Client.user(stack);
    const empty = await user.call('GET', '/api/v1/usage/history');
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ items: [] });

    const a = (await user.upload('a.bin', Buffer.alloc(1000, 1))).json.id as string;
    await user.upload('b.bin', Buffer.alloc(300, 2));
    expect((await user.upload('a.bin', Buffer.alloc(500, 3), { method: 'PUT', path: `/api/v1/files/${a}/content` })).status).toBe(200);
    expect((await user.call('DELETE', `/api/v1/files/${a}`)).status).toBe(204);
    expect((await user.call('DELETE', `/api/v1/trash/${a}`)).status).toBe(204);

    const history = await user.call('GET', '/api/v1/usage/history?days=7');
    const items = history.json.items as { date: string; bytes: number }[];
    expect(items).toHaveLength(1);
    expect(items[0]!.date).toBe(new Date().toISOString().slice(0, 10));
    expect(items[0]!.bytes).toBe(300);
    const usage = await user.call('GET', '/api/v1/usage');
    expect(usage.json.bytes).toBe(300);

    expect((await user.call('GET', '/api/v1/usage/history?days=0')).status).toBe(400);
  });
});
