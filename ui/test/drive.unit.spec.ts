import { describe, expect, it } from 'vitest';
import {
  DRAG_TYPE,
  allSelected,
  bulkOutcome,
  canDropOn,
  countWords,
  draggedItems,
  filesHref,
  keptIn,
  momentParam,
  parseDragged,
  pathNames,
  planUpload,
  refOf,
  sameName,
  selectedRefs,
  someSelected,
  toggled,
  toggledAll,
} from '../src/lib/drive';

const file = (id: string) => ({ kind: 'file' as const, id });
const folder = (id: string) => ({ kind: 'folder' as const, id });

describe('the upload plan of a dropped folder tree', () => {
  it('makes every folder once, parents before children, and puts each file in its own', () => {
    const plan = planUpload([
      { path: 'photos/2024/summer/beach.jpg', file: 'beach' },
      { path: 'photos/readme.txt', file: 'readme' },
      { path: 'photos/2024/winter', file: null },
      { path: 'photos/2024/summer/sea.jpg', file: 'sea' },
      { path: 'loose.txt', file: 'loose' },
    ]);
    expect(plan.folders).toEqual([['photos'], ['photos', '2024'], ['photos', '2024', 'summer'], ['photos', '2024', 'winter']]);
    expect(plan.files).toEqual([
      { folder: ['photos', '2024', 'summer'], name: 'beach.jpg', file: 'beach' },
      { folder: ['photos'], name: 'readme.txt', file: 'readme' },
      { folder: ['photos', '2024', 'summer'], name: 'sea.jpg', file: 'sea' },
      { folder: [], name: 'loose.txt', file: 'loose' },
    ]);
  });

  it('keeps an empty folder, and a folder named only by a deeper one', () => {
    expect(planUpload([{ path: 'empty', file: null }])).toEqual({ folders: [['empty']], files: [] });
    expect(planUpload([{ path: 'a/b/c', file: null }]).folders).toEqual([['a'], ['a', 'b'], ['a', 'b', 'c']]);
  });

  it('puts parents first whatever order the entries come in', () => {
    const plan = planUpload([
      { path: 'x/y/z/deep.txt', file: 1 },
      { path: 'x', file: null },
      { path: 'w', file: null },
    ]);
    for (const [i, names] of plan.folders.entries()) {
      if (names.length > 1) expect(plan.folders.slice(0, i)).toContainEqual(names.slice(0, -1));
    }
    expect(plan.folders).toHaveLength(4);
  });

  it('reads neither ".." nor empty segments as folders, and drops an entry with no name at all', () => {
    expect(pathNames('../a//b/./c.txt')).toEqual(['a', 'b', 'c.txt']);
    expect(pathNames('a\\b.txt')).toEqual(['a', 'b.txt']);
    const plan = planUpload([
      { path: '../../etc/passwd', file: 'p' },
      { path: '', file: 'nothing' },
      { path: '/', file: null },
    ]);
    expect(plan).toEqual({ folders: [['etc']], files: [{ folder: ['etc'], name: 'passwd', file: 'p' }] });
  });

  it('compares folder names as the service does', () => {
    expect(sameName('Photos', 'photos')).toBe(true);
    // é composed and decomposed are the same name
    expect(sameName('caf\u00e9', 'cafe\u0301')).toBe(true);
    expect(sameName('photos', 'photo')).toBe(false);
  });
});

describe('the selection', () => {
  const page = [file('a'), file('b'), folder('c')];

  it('toggles one item without changing the set it came from', () => {
    const none = new Set<string>();
    const one = toggled(none, file('a'));
    expect([...one]).toEqual(['file:a']);
    expect(none.size).toBe(0);
    expect(toggled(one, file('a')).size).toBe(0);
    // a file and a folder of the same id are two items
    expect(toggled(one, folder('a')).size).toBe(2);
  });

  it('selects the whole page, then none of it, and says when it is mixed', () => {
    const some = toggled(new Set(), file('b'));
    expect(someSelected(some, page)).toBe(true);
    expect(allSelected(some, page)).toBe(false);
    const all = toggledAll(some, page);
    expect(allSelected(all, page)).toBe(true);
    expect(someSelected(all, page)).toBe(false);
    expect(toggledAll(all, page).size).toBe(0);
    expect(allSelected(new Set(), [])).toBe(false);
  });

  it('forgets what is no longer listed, and keeps the same set when nothing left', () => {
    const all = toggledAll(new Set(), page);
    expect(keptIn(all, page)).toBe(all);
    expect(selectedRefs(keptIn(all, [file('b')]))).toEqual([file('b')]);
  });

  it('reads its keys back as items, and refuses what is not one', () => {
    expect(refOf('folder:1234')).toEqual(folder('1234'));
    expect(() => refOf('user:1')).toThrow();
  });
});

describe('moves by drag and drop', () => {
  it('drags the whole selection when the row is in it, else the row alone', () => {
    const selection = toggled(toggled(new Set(), file('a')), folder('c'));
    expect(draggedItems(selection, file('a'))).toEqual([file('a'), folder('c')]);
    expect(draggedItems(selection, file('b'))).toEqual([file('b')]);
  });

  it('refuses a folder onto itself, allows the rest (a deeper cycle is the service’s 409)', () => {
    expect(canDropOn([folder('c')], 'c')).toBe(false);
    expect(canDropOn([file('a'), folder('c')], 'c')).toBe(false);
    expect(canDropOn([folder('c')], 'd')).toBe(true);
    expect(canDropOn([file('c')], 'c')).toBe(true);
    expect(canDropOn([folder('c')], null)).toBe(true);
    expect(canDropOn([], 'd')).toBe(false);
  });

  it('reads only what a row put in the drag, nothing hostile or broken', () => {
    expect(DRAG_TYPE).toMatch(/^application\//);
    expect(parseDragged(JSON.stringify([file('a'), folder('b')]))).toEqual([file('a'), folder('b')]);
    expect(parseDragged('not json')).toBeNull();
    expect(parseDragged('{"kind":"file","id":"a"}')).toBeNull();
    expect(parseDragged('[]')).toBeNull();
    expect(parseDragged('[{"kind":"user","id":"a"}]')).toBeNull();
    expect(parseDragged('[{"kind":"file","id":""}]')).toBeNull();
    expect(parseDragged('[{"kind":"file","id":"a"},{"kind":"file"}]')).toBeNull();
  });
});

describe('what a bulk answer says', () => {
  it('lists what was done, and each failure by name with the service’s reason', () => {
    const names = new Map([
      ['a', 'a.txt'],
      ['c', 'Reports'],
    ]);
    const outcome = bulkOutcome(
      [
        { kind: 'file', id: 'a', ok: true, status: 200 },
        { kind: 'folder', id: 'c', ok: false, status: 409, detail: 'A folder cannot go into itself or one of its own folders.' },
        { kind: 'file', id: 'z', ok: false, status: 404 },
        { kind: 'file', id: 'a', ok: false, status: 500 },
      ],
      (item) => names.get(item.id),
    );
    expect(outcome.done).toEqual([file('a')]);
    expect(outcome.failures).toEqual([
      '“Reports”: A folder cannot go into itself or one of its own folders.',
      '“a file”: It is no longer there.',
      '“a.txt”: It could not be done (500).',
    ]);
  });

  it('counts items in words', () => {
    expect(countWords([file('a')])).toBe('1 file');
    expect(countWords([file('a'), file('b')])).toBe('2 files');
    expect(countWords([folder('a')])).toBe('1 folder');
    expect(countWords([folder('a'), file('b'), file('c')])).toBe('3 items');
  });
});

describe('the files page’s address', () => {
  it('carries the folder and the moment, and nothing when neither', () => {
    expect(filesHref({})).toBe('/files');
    expect(filesHref({ folder: 'f1' })).toBe('/files?folder=f1');
    expect(filesHref({ folder: null, asOf: '2026-12-01T09:30:00.000Z' })).toBe('/files?asOf=2026-12-01T09%3A30%3A00.000Z');
    expect(filesHref({ folder: 'f1', asOf: '2026-12-01T09:30:00Z' })).toBe('/files?folder=f1&asOf=2026-12-01T09%3A30%3A00Z');
  });

  it('takes from the address only a moment the API takes', () => {
    expect(momentParam('2026-12-01T09:30:00.000Z')).toBe('2026-12-01T09:30:00.000Z');
    expect(momentParam('2026-12-01T09:30:00+02:00')).toBe('2026-12-01T09:30:00+02:00');
    expect(momentParam(null)).toBeNull();
    expect(momentParam('yesterday')).toBeNull();
    expect(momentParam('2026-12-01T09:30')).toBeNull();
    expect(momentParam('2026-13-45T99:99:99Z')).toBeNull();
  });
});
