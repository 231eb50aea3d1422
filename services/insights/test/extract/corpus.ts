// Builds the test corpus in memory: zip packages (DOCX, PPTX, XLSX, ODT, bombs), PDFs (with pdf-lib,
// and by hand where pdf-lib will not write the hostile shape), so no binary fixture is committed.
import { crc32, deflateRawSync } from 'node:zlib';
import { PDFDocument, StandardFonts } from 'pdf-lib';

export interface ZipEntry {
  name: string;
  data: string | Uint8Array;
  /** Stored or deflated (default). */
  store?: boolean;
  /** Lie in both headers about the inflated size. */
  declaredSize?: number;
}

/** A minimal zip writer: local headers, data, central directory, end record. */
export function zip(entries: readonly ZipEntry[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const raw = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : Buffer.from(entry.data);
    const data = entry.store ? raw : deflateRawSync(raw);
    const method = entry.store ? 0 : 8;
    const crc = crc32(raw);
    const size = entry.declaredSize ?? raw.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
const A = 'http://schemas.openxmlformats.org/drawingml/2006/main';
const P = 'http://schemas.openxmlformats.org/presentationml/2006/main';
const S = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const REL = 'http://schemas.openxmlformats.org/package/2006/relationships';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function contentTypes(overrides: [string, string][]): string {
  return `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`
    + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    + '<Default Extension="xml" ContentType="application/xml"/>'
    + overrides.map(([part, type]) => `<Override PartName="${part}" ContentType="${type}"/>`).join('')
    + '</Types>';
}

function rels(targets: [string, string, string][]): string {
  return `${XML}<Relationships xmlns="${REL}">`
    + targets.map(([id, type, target]) => `<Relationship Id="${id}" Type="${R}/${type}" Target="${target}"/>`).join('')
    + '</Relationships>';
}

/** A DOCX whose body holds these paragraphs (a tab inside a paragraph is written as w:tab). */
export function docx(paragraphs: readonly string[], extra: { deleted?: string; footnote?: string; header?: string } = {}): Uint8Array {
  const body = paragraphs
    .map((p) => `<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>${p.split('\t').map((run) => `<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">${escapeXml(run)}</w:t></w:r>`).join('<w:r><w:tab/></w:r>')}</w:p>`)
    .join('');
  const deleted = extra.deleted ? `<w:p><w:del w:id="1" w:author="x"><w:r><w:delText>${escapeXml(extra.deleted)}</w:delText></w:r></w:del></w:p>` : '';
  const entries: ZipEntry[] = [
    { name: '[Content_Types].xml', data: contentTypes([
      ['/word/document.xml', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'],
      ...(extra.footnote ? [['/word/footnotes.xml', 'application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml'] as [string, string]] : []),
      ...(extra.header ? [['/word/header1.xml', 'application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml'] as [string, string]] : []),
    ]) },
    { name: '_rels/.rels', data: rels([['rId1', 'officeDocument', 'word/document.xml']]) },
    { name: 'word/document.xml', data: `${XML}<w:document xmlns:w="${W}"><w:body>${body}${deleted}<w:sectPr/></w:body></w:document>` },
  ];
  if (extra.footnote) {
    entries.push({ name: 'word/footnotes.xml', data: `${XML}<w:footnotes xmlns:w="${W}"><w:footnote w:id="1"><w:p><w:r><w:t>${escapeXml(extra.footnote)}</w:t></w:r></w:p></w:footnote></w:footnotes>` });
  }
  if (extra.header) {
    entries.push({ name: 'word/header1.xml', data: `${XML}<w:hdr xmlns:w="${W}"><w:p><w:r><w:t>${escapeXml(extra.header)}</w:t></w:r></w:p></w:hdr>` });
  }
  return zip(entries);
}

/**
 * A PPTX with these slides, each a list of paragraphs. The slide files are named in reverse of the
 * presentation's order, so only following presentation.xml gets the order right.
 */
export function pptx(slides: readonly (readonly string[])[]): Uint8Array {
  const n = slides.length;
  const file = (i: number) => `slide${n - i}.xml`;
  const entries: ZipEntry[] = [
    { name: '[Content_Types].xml', data: contentTypes([
      ['/ppt/presentation.xml', 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml'],
      ...slides.map((_, i): [string, string] => [`/ppt/slides/${file(i)}`, 'application/vnd.openxmlformats-officedocument.presentationml.slide+xml']),
    ]) },
    { name: '_rels/.rels', data: rels([['rId1', 'officeDocument', 'ppt/presentation.xml']]) },
    { name: 'ppt/presentation.xml', data: `${XML}<p:presentation xmlns:p="${P}" xmlns:r="${R}"><p:sldIdLst>${slides.map((_, i) => `<p:sldId id="${256 + i}" r:id="rId${i + 1}"/>`).join('')}</p:sldIdLst></p:presentation>` },
    { name: 'ppt/_rels/presentation.xml.rels', data: rels(slides.map((_, i) => [`rId${i + 1}`, 'slide', `slides/${file(i)}`])) },
    ...slides.map((paragraphs, i): ZipEntry => ({
      name: `ppt/slides/${file(i)}`,
      data: `${XML}<p:sld xmlns:p="${P}" xmlns:a="${A}"><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/>${paragraphs.map((t) => `<a:p><a:r><a:rPr lang="en-GB"/><a:t>${escapeXml(t)}</a:t></a:r></a:p>`).join('')}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>`,
    })),
  ];
  return zip(entries);
}

/** An XLSX: each sheet a name and rows of cells; strings go to shared strings, `{ inline }` cells stay inline. */
export function xlsx(sheets: readonly { name: string; rows: readonly (readonly (string | number | { inline: string })[])[] }[]): Uint8Array {
  const shared: string[] = [];
  const sheetXml = sheets.map(({ rows }) =>
    `${XML}<worksheet xmlns="${S}"><sheetData>${rows.map((row, r) => `<row r="${r + 1}">${row.map((cell, c) => {
      const ref = `${String.fromCharCode(65 + c)}${r + 1}`;
      if (typeof cell === 'number') return `<c r="${ref}"><v>${cell}</v></c>`;
      if (typeof cell === 'object') return `<c r="${ref}" t="inlineStr"><is><t>${escapeXml(cell.inline)}</t></is></c>`;
      shared.push(cell);
      return `<c r="${ref}" t="s"><v>${shared.length - 1}</v></c>`;
    }).join('')}</row>`).join('')}</sheetData></worksheet>`);
  return zip([
    { name: '[Content_Types].xml', data: contentTypes([
      ['/xl/workbook.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml'],
      ['/xl/sharedStrings.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml'],
      ...sheets.map((_, i): [string, string] => [`/xl/worksheets/sheet${i + 1}.xml`, 'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml']),
    ]) },
    { name: '_rels/.rels', data: rels([['rId1', 'officeDocument', 'xl/workbook.xml']]) },
    { name: 'xl/workbook.xml', data: `${XML}<workbook xmlns="${S}" xmlns:r="${R}"><sheets>${sheets.map((s, i) => `<sheet name="${escapeXml(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('')}</sheets></workbook>` },
    { name: 'xl/_rels/workbook.xml.rels', data: rels(sheets.map((_, i) => [`rId${i + 1}`, 'worksheet', `worksheets/sheet${i + 1}.xml`])) },
    { name: 'xl/sharedStrings.xml', data: `${XML}<sst xmlns="${S}" count="${shared.length}" uniqueCount="${shared.length}">${shared.map((s) => `<si><t>${escapeXml(s)}</t></si>`).join('')}</sst>` },
    ...sheetXml.map((data, i): ZipEntry => ({ name: `xl/worksheets/sheet${i + 1}.xml`, data })),
  ]);
}

/** An ODT with these paragraphs; `encrypted` marks its manifest the way a password-protected one is. */
export function odt(paragraphs: readonly string[], opts: { encrypted?: boolean } = {}): Uint8Array {
  const ns = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"';
  const manifestNs = 'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"';
  const encryption = opts.encrypted ? '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/>' : '';
  return zip([
    { name: 'mimetype', data: 'application/vnd.oasis.opendocument.text', store: true },
    { name: 'META-INF/manifest.xml', data: `${XML}<manifest:manifest ${manifestNs}><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">${encryption}</manifest:file-entry></manifest:manifest>` },
    { name: 'content.xml', data: `${XML}<office:document-content ${ns}><office:automatic-styles><style>not text</style></office:automatic-styles><office:body><office:text>${paragraphs.map((p) => `<text:p>${escapeXml(p).replace(/ {2}/g, ' <text:s text:c="1"/>')}</text:p>`).join('')}</office:text></office:body></office:document-content>` },
  ]);
}

/** A PDF with a page per entry, each page a few lines of text (an empty entry: a page with no text). */
export async function pdf(pages: readonly (readonly string[])[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = doc.addPage([595, 842]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 20, size: 12, font }));
  }
  return doc.save({ useObjectStreams: false });
}

/**
 * A PDF written by hand from object bodies (1-based, object 1 the catalog), with a correct xref,
 * for the shapes pdf-lib will not write: page-tree lies and loops, an encryption dictionary.
 */
export function handPdf(objects: readonly string[], trailerExtra = ''): Uint8Array {
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra}>>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}

const PAGE_CONTENT = 'BT /F1 12 Tf 50 780 Td (hand written page) Tj ET';

/** One real page referenced `kids` times from a page tree that claims `count` pages. */
export function pdfClaimingPages(count: number, kids: number): Uint8Array {
  return handPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${Array.from({ length: kids }, () => '3 0 R').join(' ')}] /Count ${count} >>`,
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${PAGE_CONTENT.length} >>\nstream\n${PAGE_CONTENT}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ]);
}

/** A page tree whose node lists itself as its own kid. */
export function pdfWithCyclicPageTree(): Uint8Array {
  return handPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>',
    '<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>',
  ]);
}

/** A PDF encrypted with the standard handler under an unknown user password. */
export function encryptedPdf(): Uint8Array {
  const hex32 = (seed: number) => Array.from({ length: 32 }, (_, i) => ((i * 37 + seed) & 0xff).toString(16).padStart(2, '0')).join('');
  return handPdf(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
      `<< /Filter /Standard /V 1 /R 2 /O <${hex32(7)}> /U <${hex32(91)}> /P -44 >>`,
    ],
    '/Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] ',
  );
}

/** A PNG signature followed by a message a fake OCR engine reads back (no image decoder needed). */
export function fakePng(message: string): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(message, 'utf8')]));
}

/** The message a fakePng carries. */
export function fakePngMessage(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(8)).toString('utf8');
}
