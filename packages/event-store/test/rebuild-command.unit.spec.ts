import { describe, expect, it } from 'vitest';
import { type RebuildTarget, runRebuild } from '../src/rebuild-command.js';

function targets(fail?: string) {
  const rebuilt: string[] = [];
  const list: RebuildTarget[] = ['files', 'grants', 'activity'].map((name) => ({
    name,
    rebuild: async () => {
      if (name === fail) throw new Error('lock timeout');
      rebuilt.push(name);
      return 3;
    },
  }));
  const lines = { out: [] as string[], err: [] as string[] };
  const io = { out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) };
  return { list, rebuilt, lines, io };
}

describe('the rebuild command', () => {
  it('rebuilds every read model when none is named, and says how many events each replayed', async () => {
    const t = targets();
    expect(await runRebuild(t.list, [], t.io)).toBe(0);
    expect(t.rebuilt).toEqual(['files', 'grants', 'activity']);
    expect(t.lines.out[0]).toMatch(/^files: rebuilt from 3 events in \d+ ms$/);
  });

  it('rebuilds only the ones named', async () => {
    const t = targets();
    expect(await runRebuild(t.list, ['grants'], t.io)).toBe(0);
    expect(t.rebuilt).toEqual(['grants']);
  });

  it('refuses an unknown name before rebuilding anything, listing the names it has', async () => {
    const t = targets();
    expect(await runRebuild(t.list, ['grants', 'shares'], t.io)).toBe(2);
    expect(t.rebuilt).toEqual([]);
    expect(t.lines.err[0]).toBe('unknown read model "shares"; this service has: files, grants, activity');
  });

  it('stops at the first failure with exit code 1', async () => {
    const t = targets('grants');
    expect(await runRebuild(t.list, [], t.io)).toBe(1);
    expect(t.rebuilt).toEqual(['files']);
    expect(t.lines.err[0]).toBe('grants: rebuild failed, nothing changed (lock timeout)');
  });
});
