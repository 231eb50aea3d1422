import { describe, expect, it } from 'vitest';
import { ExtractionFailure, extract } from '../../src/extract/index.js';
import { csvToText, decodeText, htmlToText, markdownToText } from '../../src/extract/text.js';

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

describe('text decoding', () => {
  it('honours UTF-8 and UTF-16 byte-order marks, and finds UTF-16 without one', () => {
    const text = 'Grüße aus Köln — 東京 🚲';
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(text, 'utf8')]))).toBe(text);
    expect(decodeText(new Uint8Array([0xff, 0xfe, ...Buffer.from(text, 'utf16le')]))).toBe(text);
    const be = Buffer.from(text, 'utf16le').swap16();
    expect(decodeText(new Uint8Array([0xfe, 0xff, ...be]))).toBe(text);
    expect(decodeText(new Uint8Array(Buffer.from('plain words without a mark', 'utf16le')))).toBe('plain words without a mark');
  });

  it('replaces invalid bytes instead of failing', () => {
    expect(decodeText(new Uint8Array([0x61, 0xff, 0xfe, 0xfd, 0x62, 0xc3]))).toBe('a\ufffd\ufffd\ufffdb\ufffd');
  });
});

describe('plain text', () => {
  it('comes out whole, with NULs and control characters gone and CRLF unified', async () => {
    const bytes = utf8('First line of the indigo ledger\r\nSecond\u0000 line\u0007\r\n\r\n\r\n\r\nLast line   \n');
    const result = await extract({ bytes, contentType: 'text/plain; charset=utf-8', name: 'notes.txt' });
    expect(result).toMatchObject({ format: 'text', pages: 1, ocr: false, truncated: false });
    expect(result.text).toBe('First line of the indigo ledger\nSecond line\n\nLast line');
    expect(result.passages).toEqual([{ page: null, text: result.text }]);
  });

  it('UTF-16 text with a BOM is read', async () => {
    const bytes = new Uint8Array([0xff, 0xfe, ...Buffer.from('A UTF-16 note about the tangerine bicycle', 'utf16le')]);
    const result = await extract({ bytes, contentType: 'text/plain', name: 'u16.txt' });
    expect(result.text).toBe('A UTF-16 note about the tangerine bicycle');
  });

  it('tells the language, or null when there is too little text', async () => {
    const english = await extract({ bytes: utf8('The committee will meet again next week to discuss the budget and the new building plans.'), contentType: 'text/plain', name: 'a.txt' });
    expect(english.language).toBe('eng');
    const french = await extract({ bytes: utf8("Le comité se réunira de nouveau la semaine prochaine pour discuter du budget et des nouveaux plans de l'immeuble."), contentType: 'text/plain', name: 'a.txt' });
    expect(french.language).toBe('fra');
    const short = await extract({ bytes: utf8('Hi there'), contentType: 'text/plain', name: 'a.txt' });
    expect(short.language).toBeNull();
  });

  it('cuts at maxChars and says so', async () => {
    const result = await extract({ bytes: utf8('x'.repeat(5000)), contentType: 'text/plain', name: 'a.txt' }, { limits: { maxChars: 100 } });
    expect(result).toMatchObject({ truncated: true });
    expect(result.text).toHaveLength(100);
  });
});

describe('Markdown', () => {
  it('loses its markup and keeps its words', () => {
    const md = [
      '# The *olive* archive',
      '',
      'Some **bold claims**, a [link to the map](https://example.com/map) and `inline code`.',
      '![diagram of the mill](mill.png)',
      '> quoted wisdom',
      '- first item',
      '1. numbered item',
      '---',
      '| Name | Role |',
      '| ---- | ---- |',
      '| Ada  | Engineer |',
      '```js',
      'const kept = "code stays";',
      '```',
      '[ref]: https://example.com/hidden',
    ].join('\n');
    expect(markdownToText(md)).toBe([
      'The olive archive', '', 'Some bold claims, a link to the map and inline code.', 'diagram of the mill', 'quoted wisdom',
      'first item', 'numbered item', 'Name\tRole', 'Ada\tEngineer', 'const kept = "code stays";',
    ].join('\n'));
  });

  it('is read as markdown by its content type or extension', async () => {
    const result = await extract({ bytes: utf8('## Heading of the *marble* quarry'), contentType: 'application/octet-stream', name: 'README.md' });
    expect(result).toMatchObject({ format: 'markdown', text: 'Heading of the marble quarry' });
  });
});

describe('HTML', () => {
  it('keeps the visible text only: no script, style or comments; entities decoded; blocks on lines', () => {
    const html = `<!DOCTYPE html><html><head><title>Cobalt &amp; Rye</title><style>body { color: red }</style>
      <script>var secret = "</p> not text";</script></head>
      <body><!-- hidden comment --><h1>The&nbsp;granite   mill</h1><p>Caf&eacute; &lt;open&gt; &#8364;5 &#x263A; <b>bold</b>word</p>
      <ul><li>one</li><li>two</li></ul><table><tr><td>cell a</td><td>cell b</td></tr></table>
      <pre>  keep   spacing</pre><script type="module">const bodySecret = "<div>not text</div>";</script><style>.x { color: blue }</style><noscript>enable js</noscript><div attr="a > b">after</div></body></html>`;
    const text = htmlToText(html);
    expect(text).not.toMatch(/secret|Secret|color|not text|hidden comment|enable js|&amp;|<b>/);
    const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
    expect(lines).toEqual(['Cobalt & Rye', 'The granite mill', 'Café <open> €5 ☺ boldword', 'one', 'two', 'cell a\tcell b', 'keep   spacing', 'after']);
  });

  it('is recognised by its doctype even when sent as text/plain', async () => {
    const result = await extract({ bytes: utf8('<!doctype html><p>Hello <i>ochre</i> world</p>'), contentType: 'text/plain', name: 'page.txt' });
    expect(result).toMatchObject({ format: 'html', text: 'Hello ochre world' });
  });
});

describe('CSV', () => {
  it('gives the cells as text, quotes and embedded separators handled', () => {
    expect(csvToText('name,note\r\n"Smith, Jo","said ""hi"""\r\nDoe,"multi\nline"\n')).toBe('name\tnote\nSmith, Jo\tsaid "hi"\nDoe\tmulti\nline\n');
    expect(csvToText('a;b;c\n1;2;3')).toBe('a\tb\tc\n1\t2\t3');
  });

  it('extracts through extract() as csv', async () => {
    const result = await extract({ bytes: utf8('city,river\nPrague,Vltava\n'), contentType: 'text/csv', name: 'rivers.csv' });
    expect(result).toMatchObject({ format: 'csv', text: 'city\triver\nPrague\tVltava' });
  });
});

describe('what is not read', () => {
  it('unknown binary types end unsupported; a type that lies about its magic too', async () => {
    const gif = new Uint8Array(Buffer.from('GIF89a\x01\x00\x01\x00'));
    const cases = [
      { bytes: gif, contentType: 'image/gif', name: 'a.gif' },
      { bytes: utf8('just text'), contentType: 'application/octet-stream', name: 'blob.bin' },
      { bytes: utf8('not an image at all'), contentType: 'image/png', name: 'fake.png' },
    ];
    for (const input of cases) {
      const err = await extract(input).then(() => null, (e: unknown) => e);
      expect(err, input.name).toBeInstanceOf(ExtractionFailure);
      expect((err as ExtractionFailure).reason).toBe('unsupported');
    }
  });

  it('an encrypted Office document (an OLE wrapper) ends encrypted; a legacy .doc unsupported', async () => {
    const ole = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...new Array(504).fill(0)]);
    const encrypted = await extract({ bytes: ole, contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', name: 'secret.docx' }).catch((e: unknown) => e);
    expect((encrypted as ExtractionFailure).reason).toBe('encrypted');
    const legacy = await extract({ bytes: ole, contentType: 'application/msword', name: 'old.doc' }).catch((e: unknown) => e);
    expect((legacy as ExtractionFailure).reason).toBe('unsupported');
  });

  it('binary bytes sent as text end unsupported', async () => {
    const bytes = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0]);
    const err = await extract({ bytes, contentType: 'text/plain', name: 'program.txt' }).catch((e: unknown) => e);
    expect((err as ExtractionFailure).reason).toBe('unsupported');
  });

  it('a hostile Markdown line of markers comes out whole', async () => {
    const line = '*a_'.repeat(200_000);
    const result = await extract({ bytes: utf8(`# Title\n${line}\n`), contentType: 'text/markdown', name: 'a.md' });
    expect(result.text).toBe(`Title\n${line}`);
  });

  it('a file over maxBytes ends too-large', async () => {
    const err = await extract({ bytes: new Uint8Array(2048), contentType: 'text/plain', name: 'a.txt' }, { limits: { maxBytes: 1024 } }).catch((e: unknown) => e);
    expect((err as ExtractionFailure).reason).toBe('too-large');
  });
});
