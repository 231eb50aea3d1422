/** Longest file name accepted, in characters (most file systems stop at 255 bytes). */
export const MAX_NAME_LENGTH = 255;

export class InvalidNameError extends Error {
  constructor(readonly reason: string) {
    super(`invalid file name: ${reason}`);
    this.name = 'InvalidNameError';
  }
}

// C0 and C1 controls, DEL, and the Unicode format characters that reorder or hide text
// (bidi embeddings, overrides and isolates, zero-width marks, the BOM): a name such as
// "invoice\u202Efdp.exe" would display as "invoiceexe.pdf".
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const FORBIDDEN_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/u;

/**
 * A user's file name is a label, never a path: it is stored and shown, but no blob or file is ever
 * named after it. Still, names that would mislead or break clients are refused outright.
 */
export function validateFileName(raw: string): string {
  const name = raw.normalize('NFC');
  if (name.trim().length === 0) throw new InvalidNameError('the name is empty');
  if ([...name].length > MAX_NAME_LENGTH) throw new InvalidNameError(`the name is longer than ${MAX_NAME_LENGTH} characters`);
  if (FORBIDDEN_CHARACTERS.test(name)) throw new InvalidNameError('the name holds a control or text-direction character');
  if (/%(?:[01][0-9a-f]|7f)/i.test(name)) throw new InvalidNameError('the name holds a percent-encoded control character');
  if (/[\\/]/.test(name)) throw new InvalidNameError('the name holds a path separator (/ or \\)');
  if (name === '.' || name === '..') throw new InvalidNameError('the name is a relative path');
  if (name !== name.trim()) throw new InvalidNameError('the name starts or ends with white space');
  return name;
}

/**
 * The key two names in one folder clash on: NFC, then case-folded (upper then lower case, so that
 * "ß" and "SS", "ǅ" and "ǆ" meet), then NFC again (case mapping can denormalise). "Café" typed
 * with a combining accent and "CAFÉ" precomposed are one name.
 */
export function nameKey(name: string): string {
  return name.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/**
 * The first of "name (2).ext", "name (3).ext"... whose key is not taken: how a restore (or an
 * upload) that keeps both names the newcomer. A folder's name has no extension.
 */
export function freeName(name: string, taken: ReadonlySet<string>, kind: 'file' | 'folder'): string {
  if (!taken.has(nameKey(name))) return name;
  const dot = kind === 'file' ? name.lastIndexOf('.') : -1;
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 2; ; n++) {
    const suffix = ` (${n})`;
    // stay within the length limit: shorten the stem, never the suffix or the extension
    const room = MAX_NAME_LENGTH - [...suffix].length - [...ext].length;
    const candidate = `${[...stem].slice(0, Math.max(1, room)).join('')}${suffix}${ext}`;
    if (!taken.has(nameKey(candidate))) return candidate;
  }
}
