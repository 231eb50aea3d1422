import { describe, expect, it } from 'vitest';
import { ExtractionFailure, extract } from '../../src/extract/index.js';
import { docx, odt, pptx, xlsx, zip } from './corpus.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const ODT = 'application/vnd.oasis.opendocument.text';

async function failure(promise: Promise<unknown>): Promise<ExtractionFailure> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ExtractionFailure);
  return err as ExtractionFailure;
}

describe('DOCX', () => {
  it('reads paragraphs and tabs, footnotes and headers too, and leaves out deleted text and formatting', async () => {
    const bytes = docx(['The saffron kettle & the <iron> gate', 'Name\tValue'], {
      deleted: 'words deleted under tracked changes',
      footnote: 'A footnote about the walnut cabinet',
      header: 'Pemberton & Daughters Ltd',
    });
    const result = await extract({ bytes, contentType: DOCX, name: 'letter.docx' });
    expect(result.format).toBe('docx');
    expect(result.text).toBe('The saffron kettle & the <iron> gate\nName\tValue\n\nA footnote about the walnut cabinet\n\nPemberton & Daughters Ltd');
    expect(result.passages).toEqual([{ page: null, text: result.text }]);
    expect(result.pages).toBe(1);
  });

  it('is recognised by its parts whatever the name and type say', async () => {
    const result = await extract({ bytes: docx(['The saffron kettle']), contentType: 'application/octet-stream', name: 'upload' });
    expect(result.format).toBe('docx');
  });

  it('ends corrupt when the XML is broken or holds an entity bomb', async () => {
    const broken = zip([{ name: 'word/document.xml', data: '<w:document><w:body><w:p><w:t>unclosed</w:body>' }]);
    expect((await failure(extract({ bytes: broken, contentType: DOCX, name: 'b.docx' }))).reason).toBe('corrupt');
    const laughs = zip([{
      name: 'word/document.xml',
      data: '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "hahahahaha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><w:document><w:t>&b;</w:t></w:document>',
    }]);
    // saxes expands no DTD entities: the bomb is an undefined entity, the document simply unreadable
    expect((await failure(extract({ bytes: laughs, contentType: DOCX, name: 'l.docx' }))).reason).toBe('corrupt');
  });

  it('a zip that is not one ends corrupt', async () => {
    const bytes = new Uint8Array(Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(64, 7)]));
    expect((await failure(extract({ bytes, contentType: DOCX, name: 'x.docx' }))).reason).toBe('corrupt');
  });
});

describe('PPTX', () => {
  it('makes a passage per slide, in the presentation order, numbered from 1', async () => {
    const bytes = pptx([['Opening slide: the amber tram'], ['Middle slide', 'about the copper kite'], ['Closing slide: questions']]);
    const result = await extract({ bytes, contentType: PPTX, name: 'deck.pptx' });
    expect(result.format).toBe('pptx');
    expect(result.pages).toBe(3);
    expect(result.passages).toEqual([
      { page: 1, text: 'Opening slide: the amber tram' },
      { page: 2, text: 'Middle slide\nabout the copper kite' },
      { page: 3, text: 'Closing slide: questions' },
    ]);
  });

  it('more slides than maxPages ends too-many-pages', async () => {
    const bytes = pptx([['a'], ['b'], ['c']]);
    expect((await failure(extract({ bytes, contentType: PPTX, name: 'deck.pptx' }, { limits: { maxPages: 2 } }))).reason).toBe('too-many-pages');
  });
});

describe('XLSX', () => {
  it('reads shared and inline strings and numbers, sheet by sheet, each sheet named', async () => {
    const bytes = xlsx([
      { name: 'Budget', rows: [['Item', 'Cost'], ['Lavender soap', 12.5], [{ inline: 'inline juniper note' }]] },
      { name: 'Staff', rows: [['Ottoline Marsh', 'Archivist']] },
    ]);
    const result = await extract({ bytes, contentType: XLSX, name: 'book.xlsx' });
    expect(result.format).toBe('xlsx');
    expect(result.pages).toBe(2);
    expect(result.passages).toEqual([
      { page: 1, text: 'Budget\nItem\tCost\nLavender soap\t12.5\ninline juniper note' },
      { page: 2, text: 'Staff\nOttoline Marsh\tArchivist' },
    ]);
  });
});

describe('ODT', () => {
  it('reads the paragraphs of content.xml and not its styles', async () => {
    const bytes = odt(['The pewter owl sat  on the fence', 'Second paragraph of the open document']);
    const result = await extract({ bytes, contentType: ODT, name: 'a.odt' });
    expect(result.format).toBe('odt');
    expect(result.text).toBe('The pewter owl sat  on the fence\nSecond paragraph of the open document');
  });

  it('is recognised by its mimetype entry', async () => {
    const result = await extract({ bytes: odt(['hello']), contentType: '', name: 'noext' });
    expect(result.format).toBe('odt');
  });

  it('a password-protected one ends encrypted', async () => {
    expect((await failure(extract({ bytes: odt(['x'], { encrypted: true }), contentType: ODT, name: 'a.odt' }))).reason).toBe('encrypted');
  });
});

describe('zip bombs and other hostile packages', () => {
  const zeros = new Uint8Array(8 * 1024 * 1024);

  it('an entry of zeros compressed 1000:1 ends zip-bomb', async () => {
    const bytes = zip([{ name: '[Content_Types].xml', data: '<Types/>' }, { name: 'word/document.xml', data: zeros }]);
    expect(bytes.byteLength).toBeLessThan(zeros.byteLength / 500);
    const f = await failure(extract({ bytes, contentType: DOCX, name: 'bomb.docx' }));
    expect(f.reason).toBe('zip-bomb');
    // refused on what its header declares, before a byte is inflated
    expect(f.message).toMatch(/claims a compression ratio of \d+:1/);
    expect(f.transient).toBe(false);
  });

  it('an entry whose header lies about its size ends zip-bomb once it inflates past the lie', async () => {
    const xml = `<w:document><w:body><w:p><w:t>${'x'.repeat(4 * 1024 * 1024)}</w:t></w:p></w:body></w:document>`;
    const bytes = zip([{ name: 'word/document.xml', data: xml, declaredSize: 1000 }]);
    const f = await failure(extract({ bytes, contentType: DOCX, name: 'liar.docx' }));
    expect(f.reason).toBe('zip-bomb');
    expect(f.message).toMatch(/declares/);
  });

  it('the sum of inflated bytes is capped across entries (too-large: honest ratios make a big file, not a bomb)', async () => {
    const part = (n: number) => `<p:sld><a:t>${String(n).repeat(300_000)}</a:t></p:sld>`;
    const bytes = zip([1, 2, 3].map((n) => ({ name: `ppt/slides/slide${n}.xml`, data: part(n) })));
    const f = await failure(extract({ bytes, contentType: PPTX, name: 'deck.pptx' }, { limits: { maxUncompressedBytes: 700_000, maxCompressionRatio: 100_000 } }));
    expect(f.reason).toBe('too-large');
  });

  it('too many entries ends zip-bomb before any is read', async () => {
    const bytes = zip(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}.xml`, data: 'x' })));
    expect((await failure(extract({ bytes, contentType: DOCX, name: 'many.docx' }, { limits: { maxEntries: 20 } }))).reason).toBe('zip-bomb');
  });

  it('a plain zip that is no office document is unsupported', async () => {
    const bytes = zip([{ name: 'readme.txt', data: 'hello' }]);
    expect((await failure(extract({ bytes, contentType: 'application/zip', name: 'a.zip' }))).reason).toBe('unsupported');
  });

  it('a long document is cut at maxChars without reading it all', async () => {
    const bytes = docx(Array.from({ length: 2000 }, (_, i) => `paragraph number ${i} of a long and wordy document`));
    const result = await extract({ bytes, contentType: DOCX, name: 'long.docx' }, { limits: { maxChars: 1000 } });
    expect(result.truncated).toBe(true);
    expect(result.text.length).toBe(1000);
    expect(result.text.startsWith('paragraph number 0 of a long')).toBe(true);
  });
});
