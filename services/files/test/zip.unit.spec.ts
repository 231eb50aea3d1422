import { describe, expect, it } from 'vitest';
import { ArchiveNames, archiveName } from '../src/zip.js';

describe('names in a ZIP', () => {
  it('keeps a name as the UI shows it, Unicode included', () => {
    for (const name of ['report.pdf', 'Café — été 2026.docx', 'notes', '.hidden', 'a b (2).txt', '日本語.txt']) expect(archiveName(name)).toBe(name);
  });

  it('replaces what Windows cannot extract: <>:"|?*, a trailing dot, device names', () => {
    expect(archiveName('a:b?.txt')).toBe('a_b_.txt');
    expect(archiveName('<x>|"y"*')).toBe('_x___y__');
    expect(archiveName('end.')).toBe('end_');
    expect(archiveName('CON')).toBe('_CON');
    expect(archiveName('nul.txt')).toBe('_nul.txt');
    expect(archiveName('com1.log')).toBe('_com1.log');
    // only the device name itself, not a longer word
    expect(archiveName('console.txt')).toBe('console.txt');
  });

  it('keeps both names that clash in one folder of the archive, case-insensitively, as "name (2).ext"', () => {
    const names = new ArchiveNames();
    expect(names.place('', 'a.txt', 'file')).toBe('a.txt');
    expect(names.place('', 'A.TXT', 'file')).toBe('A (2).TXT');
    expect(names.place('', 'a.txt', 'file')).toBe('a (3).txt');
    // two names that became one by the replacement
    expect(names.place('', 'x:y', 'file')).toBe('x_y');
    expect(names.place('', 'x?y', 'file')).toBe('x_y (2)');
    // another folder of the archive is another namespace
    expect(names.place('Docs/', 'a.txt', 'file')).toBe('Docs/a.txt');
    // a folder's name has no extension
    expect(names.place('', 'v1.0', 'folder')).toBe('v1.0');
    expect(names.place('', 'V1.0', 'folder')).toBe('V1.0 (2)');
  });
});
