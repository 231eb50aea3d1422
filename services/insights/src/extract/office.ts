import { SaxesParser } from 'saxes';
import { TextDecoder } from 'node:util';
import { addPassage, type ReadContext, type ReadResult } from './context.js';
import { openZip, type ZipPackage } from './zip.js';
import { ExtractionFailure, type DocumentFormat } from './types.js';

interface XmlHandlers {
  open?(local: string, attributes: Record<string, string>): void;
  close?(local: string): void;
  text?(text: string): void;
}

function localName(name: string): string {
  return name.slice(name.indexOf(':') + 1);
}

/** An attribute by its local name, whatever prefix the package bound its namespace to. */
function attribute(attributes: Record<string, string>, local: string): string | undefined {
  if (local in attributes) return attributes[local];
  const name = Object.keys(attributes).find((n) => localName(n) === local);
  return name === undefined ? undefined : attributes[name];
}

/**
 * Streams one XML part through saxes (no DOM is built). Prefixes are dropped rather than resolved,
 * so that a package with a sloppy namespace declaration still reads. saxes expands no DTD
 * entities, so an entity bomb ends as a parse error, not as memory.
 */
async function readXml(zip: ZipPackage, name: string, handlers: XmlHandlers, stop: () => boolean = () => false): Promise<void> {
  const parser = new SaxesParser({ xmlns: false, position: false });
  parser.on('opentag', (node) => handlers.open?.(localName(node.name), node.attributes as Record<string, string>));
  parser.on('closetag', (node) => handlers.close?.(localName(node.name)));
  if (handlers.text) {
    parser.on('text', handlers.text);
    parser.on('cdata', handlers.text);
  }
  let decoder: TextDecoder | null = null;
  let stopped = false;
  try {
    await zip.read(name, (chunk) => {
      // the first chunk's byte-order mark says how the rest is encoded; UTF-8 otherwise
      decoder ??= new TextDecoder(chunk[0] === 0xff && chunk[1] === 0xfe ? 'utf-16le' : chunk[0] === 0xfe && chunk[1] === 0xff ? 'utf-16be' : 'utf-8');
      parser.write(decoder.decode(chunk, { stream: true }));
      if (stop()) {
        stopped = true;
        return 'stop';
      }
    });
    if (!stopped) {
      const flushed = (decoder as TextDecoder | null)?.decode() ?? '';
      parser.write(flushed);
      parser.close();
    }
  } catch (err) {
    if (err instanceof ExtractionFailure) throw err;
    throw new ExtractionFailure('corrupt', `${name} is not well-formed XML: ${(err as Error).message}`, { cause: err });
  }
}

/** Text gathered from a part, dropping what comes once the budget could not keep it anyway. */
class Collector {
  private readonly parts: string[] = [];
  private length = 0;

  constructor(private readonly max: number) {}

  get full(): boolean {
    return this.length > this.max;
  }

  push(text: string): void {
    if (this.full) return;
    this.parts.push(text);
    this.length += text.length;
  }

  take(): string {
    const text = this.parts.join('');
    this.parts.length = 0;
    this.length = 0;
    return text;
  }
}

function collector(ctx: ReadContext): Collector {
  return new Collector(ctx.budget.remaining + 1);
}

/** Elements whose content is never text a reader sees: tracked deletions, field codes, formatting, duplicates for old readers. */
const DRAWINGML_SKIP = new Set(['delText', 'instrText', 'Fallback', 'pPr', 'rPr', 'rPh', 'tabs']);

/** The text of WordprocessingML and DrawingML: runs in `t`, a line per paragraph, tabs and breaks kept. */
function runTextHandlers(out: Collector): XmlHandlers {
  let skip = 0;
  let inText = 0;
  return {
    open(local) {
      if (skip > 0 || DRAWINGML_SKIP.has(local)) {
        skip++;
        return;
      }
      if (local === 't') inText++;
      else if (local === 'tab') out.push('\t');
      else if (local === 'br' || local === 'cr') out.push('\n');
    },
    close(local) {
      if (skip > 0) {
        skip--;
        return;
      }
      if (local === 't') inText--;
      else if (local === 'p') out.push('\n');
      else if (local === 'tc') out.push('\t');
    },
    text(text) {
      if (inText > 0 && skip === 0) out.push(text);
    },
  };
}

/** `[Content_Types].xml`: part name → content type, for the parts it names one by one. */
async function contentTypes(zip: ZipPackage): Promise<Map<string, string>> {
  const types = new Map<string, string>();
  if (!zip.has('[Content_Types].xml')) return types;
  await readXml(zip, '[Content_Types].xml', {
    open(local, attributes) {
      if (local === 'Override' && attributes.PartName && attributes.ContentType) {
        types.set(attributes.PartName.replace(/^\/+/, ''), attributes.ContentType.toLowerCase());
      }
    },
  });
  return types;
}

function partsOfType(types: Map<string, string>, zip: ZipPackage, matches: (type: string) => boolean): string[] {
  return [...types].filter(([part, type]) => matches(type) && zip.has(part)).map(([part]) => part);
}

function resolvePart(owner: string, target: string): string {
  if (target.startsWith('/')) return target.replace(/^\/+/, '');
  const parts = owner.split('/').slice(0, -1);
  for (const piece of target.split('/')) {
    if (piece === '..') parts.pop();
    else if (piece !== '.' && piece !== '') parts.push(piece);
  }
  return parts.join('/');
}

/** A part's relationships: id → the part it points at (external targets left out). */
async function relationships(zip: ZipPackage, owner: string): Promise<Map<string, string>> {
  const slash = owner.lastIndexOf('/');
  const relsName = `${owner.slice(0, slash + 1)}_rels/${owner.slice(slash + 1)}.rels`;
  const rels = new Map<string, string>();
  if (!zip.has(relsName)) return rels;
  await readXml(zip, relsName, {
    open(local, attributes) {
      if (local === 'Relationship' && attributes.Id && attributes.Target && attributes.TargetMode !== 'External') {
        rels.set(attributes.Id, resolvePart(owner, attributes.Target));
      }
    },
  });
  return rels;
}

interface OrderedPart {
  part: string;
  title: string | null;
}

/**
 * The slides or sheets in the order the presentation or workbook lists them; when that list cannot
 * be followed, the parts by the number in their names (how Office names them).
 */
async function orderedParts(zip: ZipPackage, owner: string, listElement: string, pattern: RegExp): Promise<OrderedPart[]> {
  const listed: { id: string; title: string | null }[] = [];
  if (zip.has(owner)) {
    await readXml(zip, owner, {
      open(local, attributes) {
        if (local !== listElement) return;
        const idName = Object.keys(attributes).find((n) => n !== 'id' && localName(n) === 'id');
        const id = idName ? attributes[idName] : undefined;
        if (id) listed.push({ id, title: attributes.name ?? null });
      },
    });
  }
  const rels = await relationships(zip, owner);
  const resolved = listed.map(({ id, title }) => ({ part: rels.get(id), title }));
  if (resolved.length > 0 && resolved.every((r): r is OrderedPart => r.part !== undefined && zip.has(r.part))) return resolved;
  return zip.names
    .map((name) => ({ name, n: Number(pattern.exec(name)?.[1]) }))
    .filter(({ n }) => Number.isFinite(n))
    .sort((a, b) => a.n - b.n)
    .map(({ name }) => ({ part: name, title: null }));
}

function checkPages(count: number, what: string, ctx: ReadContext): void {
  if (count > ctx.limits.maxPages) {
    throw new ExtractionFailure('too-many-pages', `the document has ${count} ${what}, more than ${ctx.limits.maxPages}`);
  }
}

async function readDocx(zip: ZipPackage, ctx: ReadContext): Promise<ReadResult> {
  const types = await contentTypes(zip);
  const main = partsOfType(types, zip, (t) => /wordprocessingml\.document\.main\+xml$|ms-word\.(document|template)\.macroenabled\.main\+xml$|wordprocessingml\.template\.main\+xml$/.test(t))[0]
    ?? (zip.has('word/document.xml') ? 'word/document.xml' : undefined);
  if (!main) throw new ExtractionFailure('corrupt', 'the package has no main document part');
  const out = collector(ctx);
  // headers, footers and notes after the body: what they say is searchable, where is not kept
  const notes = partsOfType(types, zip, (t) => /wordprocessingml\.(header|footer|footnotes|endnotes)\+xml$/.test(t));
  for (const part of [main, ...notes]) {
    if (out.full) break;
    await readXml(zip, part, runTextHandlers(out), () => out.full);
    out.push('\n\n');
  }
  const passages: ReadResult['passages'] = [];
  addPassage(passages, ctx, null, out.take());
  return { passages, pages: 1, ocrPages: 0, ocr: false };
}

async function readPptx(zip: ZipPackage, ctx: ReadContext): Promise<ReadResult> {
  const slides = await orderedParts(zip, 'ppt/presentation.xml', 'sldId', /^ppt\/slides\/slide(\d+)\.xml$/i);
  checkPages(slides.length, 'slides', ctx);
  const passages: ReadResult['passages'] = [];
  for (const [i, { part }] of slides.entries()) {
    ctx.checkTime();
    if (ctx.budget.full) {
      ctx.budget.truncated = true;
      break;
    }
    const out = collector(ctx);
    await readXml(zip, part, runTextHandlers(out), () => out.full);
    addPassage(passages, ctx, i + 1, out.take());
  }
  return { passages, pages: slides.length, ocrPages: 0, ocr: false };
}

/** Shared strings in order; past the text budget they are kept empty, as no cell could show them anyway. */
async function sharedStrings(zip: ZipPackage, ctx: ReadContext): Promise<string[]> {
  const types = await contentTypes(zip);
  const part = partsOfType(types, zip, (t) => t.endsWith('spreadsheetml.sharedstrings+xml'))[0]
    ?? (zip.has('xl/sharedStrings.xml') ? 'xl/sharedStrings.xml' : undefined);
  const strings: string[] = [];
  if (!part) return strings;
  let left = ctx.limits.maxChars;
  let current: string[] = [];
  let skip = 0;
  let inText = 0;
  await readXml(zip, part, {
    open(local) {
      if (skip > 0 || local === 'rPh' || local === 'rPr') skip++;
      else if (local === 'si') current = [];
      else if (local === 't') inText++;
    },
    close(local) {
      if (skip > 0) skip--;
      else if (local === 't') inText--;
      else if (local === 'si') {
        const text = current.join('');
        strings.push(left > 0 ? text : '');
        left -= text.length;
      }
    },
    text(text) {
      if (inText > 0 && skip === 0 && left > 0) current.push(text);
    },
  });
  if (left < 0) ctx.budget.truncated = true;
  return strings;
}

function sheetHandlers(out: Collector, strings: readonly string[]): XmlHandlers {
  let row: string[] = [];
  let cellType = '';
  let value: string[] = [];
  let inValue = 0;
  let inInline = 0;
  let inText = 0;
  return {
    open(local, attributes) {
      if (local === 'row') row = [];
      else if (local === 'c') {
        cellType = attributes.t ?? '';
        value = [];
      } else if (local === 'v') inValue++;
      else if (local === 'is') inInline++;
      else if (local === 't' && inInline > 0) inText++;
    },
    close(local) {
      if (local === 'v') inValue--;
      else if (local === 'is') inInline--;
      else if (local === 't' && inText > 0) inText--;
      else if (local === 'c') {
        const raw = value.join('');
        const text =
          cellType === 's' ? (strings[Number(raw)] ?? '')
          : cellType === 'b' ? (raw === '1' ? 'TRUE' : 'FALSE')
          : cellType === 'e' ? ''
          : raw;
        if (text.trim() !== '') row.push(text.trim());
      } else if (local === 'row') {
        if (row.length > 0) out.push(`${row.join('\t')}\n`);
      }
    },
    text(text) {
      if (inValue > 0 || inText > 0) value.push(text);
    },
  };
}

async function readXlsx(zip: ZipPackage, ctx: ReadContext): Promise<ReadResult> {
  const sheets = await orderedParts(zip, 'xl/workbook.xml', 'sheet', /^xl\/worksheets\/sheet(\d+)\.xml$/i);
  checkPages(sheets.length, 'sheets', ctx);
  const strings = await sharedStrings(zip, ctx);
  const passages: ReadResult['passages'] = [];
  for (const [i, { part, title }] of sheets.entries()) {
    ctx.checkTime();
    if (ctx.budget.full) {
      ctx.budget.truncated = true;
      break;
    }
    const out = collector(ctx);
    if (title) out.push(`${title}\n`);
    await readXml(zip, part, sheetHandlers(out, strings), () => out.full);
    addPassage(passages, ctx, i + 1, out.take());
  }
  return { passages, pages: sheets.length, ocrPages: 0, ocr: false };
}

async function readOdt(zip: ZipPackage, ctx: ReadContext): Promise<ReadResult> {
  if (zip.has('META-INF/manifest.xml')) {
    let encrypted = false;
    await readXml(zip, 'META-INF/manifest.xml', {
      open(local) {
        if (local === 'encryption-data') encrypted = true;
      },
    });
    if (encrypted) throw new ExtractionFailure('encrypted', 'the document is encrypted with a password');
  }
  if (!zip.has('content.xml')) throw new ExtractionFailure('corrupt', 'the package has no content.xml');
  const out = collector(ctx);
  let inParagraph = 0;
  let skip = 0;
  await readXml(
    zip,
    'content.xml',
    {
      open(local, attributes) {
        if (skip > 0 || local === 'tracked-changes') skip++;
        else if (local === 'p' || local === 'h') inParagraph++;
        else if (inParagraph > 0 && local === 's') out.push(' '.repeat(Math.min(Number(attribute(attributes, 'c') ?? 1) || 1, 100)));
        else if (inParagraph > 0 && local === 'tab') out.push('\t');
        else if (inParagraph > 0 && local === 'line-break') out.push('\n');
      },
      close(local) {
        if (skip > 0) skip--;
        else if (local === 'p' || local === 'h') {
          inParagraph--;
          out.push('\n');
        }
      },
      text(text) {
        if (inParagraph > 0 && skip === 0) out.push(text);
      },
    },
    () => out.full,
  );
  const passages: ReadResult['passages'] = [];
  addPassage(passages, ctx, null, out.take());
  return { passages, pages: 1, ocrPages: 0, ocr: false };
}

/** Reads a zip-based office document: DOCX, PPTX, XLSX or ODT. */
export async function readOffice(format: Extract<DocumentFormat, 'docx' | 'pptx' | 'xlsx' | 'odt'>, bytes: Uint8Array, ctx: ReadContext): Promise<ReadResult> {
  const zip = await openZip(bytes, ctx);
  try {
    switch (format) {
      case 'docx':
        return await readDocx(zip, ctx);
      case 'pptx':
        return await readPptx(zip, ctx);
      case 'xlsx':
        return await readXlsx(zip, ctx);
      case 'odt':
        return await readOdt(zip, ctx);
    }
  } finally {
    zip.close();
  }
}
