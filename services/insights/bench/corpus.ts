/**
 * The bench's documents, made on the spot from a seeded generator: a vocabulary with a Zipf-like
 * frequency (a few stop words and common words very often, a long tail rarely), sentences drawn
 * from it, and the files of each format the service reads. The same seed gives the same corpus.
 */
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { docx } from '../test/extract/corpus.js';
import { imageOnlyPdf, renderTextPng, textPdf } from '../test/support/corpus.js';

/** mulberry32: small, fast and good enough to draw words; deterministic for a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// the head of any English text: Postgres' english configuration drops most of these as stop words
const STOP = 'the of and to a in is it that for on was with as be by at this are from or an have not but had his they which were their has been will would there all can more if its also other into some than only these then may any such our about over them most both each'.split(' ');
// common words of the documents a dashboard holds, next in frequency
const COMMON = (
  'report invoice revenue contract meeting project customer payment quarter budget market sales team plan service product order delivery account review ' +
  'policy price cost growth risk schedule office board company agreement supplier total period annual manager value share staff date month week year ' +
  'client data system support update change process quality target result summary office record number draft notice section clause term request approval ' +
  'building site energy network software hardware training travel expense tax margin profit loss forecast audit claim insurance property lease rent'
).split(' ');
/** Words at the head of the vocabulary: the stop words, then the common words. */
export const STOP_WORDS = STOP.length;
export const HEAD_WORDS = new Set([...STOP, ...COMMON]).size;
const ONSETS = ['b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z', 'br', 'ch', 'cl', 'dr', 'fl', 'gr', 'pl', 'pr', 'sh', 'st', 'th', 'tr'];
const NUCLEI = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou', 'io'];
const CODAS = ['', '', '', 'n', 'r', 'l', 'm', 'x', 'nd', 'st', 'rk'];

/**
 * A vocabulary of `size` words, most frequent first: stop words, common words, then made-up
 * words of two to four syllables (real enough for a tokenizer and a stemmer, never a real word
 * the planted ones could collide with, as they are built from other letters).
 */
export function vocabulary(size = 4000, seed = 7): string[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const words = [...new Set([...STOP, ...COMMON])];
  const seen = new Set(words);
  while (words.length < size) {
    const syllables = 2 + Math.floor(rand() * 3);
    let w = '';
    for (let i = 0; i < syllables; i++) w += pick(ONSETS) + pick(NUCLEI) + (i === syllables - 1 ? pick(CODAS) : '');
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

/** Rank r (0-based) is drawn with probability ~ 1/(r+1): exp of a uniform over [0, ln N). */
export const zipfRank = (rand: () => number, n: number) => Math.min(n - 1, Math.floor(Math.exp(rand() * Math.log(n))) - 1);

export class TextGen {
  private readonly rand: () => number;
  constructor(
    readonly words: readonly string[],
    seed: number,
  ) {
    this.rand = prng(seed);
  }

  word(): string {
    return this.words[zipfRank(this.rand, this.words.length)]!;
  }

  sentence(): string {
    const n = 8 + Math.floor(this.rand() * 11);
    const ws = Array.from({ length: n }, () => this.word());
    ws[0] = ws[0]!.charAt(0).toUpperCase() + ws[0]!.slice(1);
    return `${ws.join(' ')}.`;
  }

  /** Sentences up to about `chars` characters. */
  text(chars: number): string {
    const out: string[] = [];
    let length = 0;
    while (length < chars) {
      const s = this.sentence();
      out.push(s);
      length += s.length + 1;
    }
    return out.join(' ');
  }

  /** Lines of at most `width` characters, wrapped at spaces. */
  lines(count: number, width: number): string[] {
    const lines: string[] = [];
    let line = '';
    while (lines.length < count) {
      const w = this.word();
      if (line.length + w.length + 1 > width) {
        lines.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    return lines;
  }

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }
}

/**
 * A word no generated text holds, for one search to find: syllables like the vocabulary's (so OCR
 * reads it as a word), but starting with an x, which no word of the vocabulary does. Letters OCR
 * confuses in this font (g/q, l/I) are left out: a miss should be the service's, not the font's.
 */
export function plantedWord(rand: () => number): string {
  let w = 'x';
  for (let i = 0; i < 5; i++) w += 'aeiou'[Math.floor(rand() * 5)]! + (i < 4 ? 'bdfkmnprstvz'[Math.floor(rand() * 12)]! : '');
  return w;
}

export type Kind = 'pdf' | 'docx' | 'text' | 'png' | 'scan';

export interface BenchFile {
  kind: Kind;
  name: string;
  type: string;
  bytes: Uint8Array;
  /** Pages a scan has (each read by OCR). */
  scannedPages: number;
}

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** One file of a kind, with `planted` somewhere in what it says. */
export async function makeFile(kind: Kind, gen: TextGen, i: number, planted: string, opts: { scanPages?: number } = {}): Promise<BenchFile> {
  const name = `${gen.word()}-${gen.word()}-${i}`;
  switch (kind) {
    case 'pdf': {
      // several pages of body text, 40 lines each: a report
      const pages = Array.from({ length: 3 + gen.int(6) }, () => gen.lines(40, 90));
      pages[0]!.splice(1, 0, `Reference ${planted}`);
      return { kind, name: `${name}.pdf`, type: 'application/pdf', bytes: await textPdf(pages), scannedPages: 0 };
    }
    case 'docx': {
      const paragraphs = Array.from({ length: 20 + gen.int(40) }, () => gen.text(200 + gen.int(400)));
      paragraphs.splice(1, 0, `Reference ${planted}.`);
      return { kind, name: `${name}.docx`, type: DOCX_TYPE, bytes: docx(paragraphs), scannedPages: 0 };
    }
    case 'text': {
      const body = `${gen.text(2_000 + gen.int(30_000))}\nReference ${planted}.\n`;
      return { kind, name: `${name}.txt`, type: 'text/plain', bytes: Buffer.from(body), scannedPages: 0 };
    }
    case 'png': {
      // a photographed whiteboard or slide: a dozen short lines at 28 px (10 pt at 200 dpi)
      const lines = gen.lines(12, 48);
      lines.splice(2, 0, planted);
      return { kind, name: `${name}.png`, type: 'image/png', bytes: renderTextPng(lines), scannedPages: 0 };
    }
    case 'scan': {
      const pages = opts.scanPages ?? 2;
      const pngs = Array.from({ length: pages }, (_, p) => {
        const lines = gen.lines(30, 64);
        if (p === 0) lines.splice(1, 0, planted);
        return renderTextPng(lines, { width: 1654 });
      });
      return { kind, name: `${name}-scan.pdf`, type: 'application/pdf', bytes: await imageOnlyPdf(pngs), scannedPages: pages };
    }
  }
}

/** A photo-like JPEG of noise (it does not compress) of at least `bytes`, within a few per cent. */
async function noiseJpeg(bytes: number, seed: number): Promise<Buffer> {
  const rand = prng(seed);
  const encode = (side: number) => {
    const raw = Buffer.alloc(side * side * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(rand() * 256);
    return sharp(raw, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
  };
  const perPixel = (await encode(256)).length / (256 * 256);
  for (let side = Math.floor(0.97 * Math.sqrt(bytes / perPixel)); ; side = Math.ceil(side * 1.01)) {
    const jpeg = await encode(side);
    if (jpeg.length >= bytes) return jpeg;
  }
}

const A4 = { width: 595.28, height: 841.89 };

/**
 * A PDF of about `total` bytes as an office makes them: `textPages` pages of text, the first with a
 * photo that makes up the rest of the size (text extraction never decodes it; the preview draws it).
 */
export async function photoPdf(gen: TextGen, planted: string, total: number, textPages = 20, photo?: Buffer): Promise<{ bytes: Uint8Array; photo: Buffer }> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < textPages; p++) {
    const page = doc.addPage([A4.width, A4.height]);
    const lines = gen.lines(p === 0 ? 12 : 44, 90);
    if (p === 0) lines.splice(1, 0, `Reference ${planted}`);
    lines.forEach((line, i) => page.drawText(line, { x: 56, y: A4.height - 72 - i * 16, size: 11, font }));
  }
  const textOnly = (await doc.save()).length;
  const jpeg = photo ?? (await noiseJpeg(Math.max(1, total - textOnly), 11));
  const image = await doc.embedJpg(jpeg);
  doc.getPage(0).drawImage(image, { x: 56, y: 80, width: 480, height: 480 });
  return { bytes: await doc.save(), photo: jpeg };
}

/** A PDF of only text pages, as many as it takes to reach about `total` bytes. */
export async function allTextPdf(gen: TextGen, planted: string, total: number): Promise<Uint8Array> {
  const make = async (count: number) => {
    const pages = Array.from({ length: count }, () => gen.lines(48, 90));
    pages[0]!.splice(1, 0, `Reference ${planted}`);
    return textPdf(pages);
  };
  // pdf-lib deflates the pages: measure a few, then make the whole at that rate
  const sample = 20;
  const perPage = (await make(sample)).length / sample;
  return make(Math.max(1, Math.round(total / perPage)));
}
