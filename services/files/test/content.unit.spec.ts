import type { BlockBlobClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { blockIdFor, offsetOfBlockId } from '../src/blob/blocks.js';
import { servedContentType, sniffContentType } from '../src/blob/sniff.js';
import { contentDisposition, parseRange } from '../src/routes/content.js';
import { parseIfMatch } from '../src/routes/files.js';
import { parseUploadMetadata, stagedChain } from '../src/upload/tus.js';

describe('content sniffing', () => {
  it('reads the type from the bytes', () => {
    expect(sniffContentType(Buffer.from('%PDF-1.7\n...'))).toBe('application/pdf');
    expect(sniffContentType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('image/png');
    expect(sniffContentType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffContentType(Buffer.from('PK\u0003\u0004rest'))).toBe('application/zip');
    expect(sniffContentType(Buffer.from('  <!doctype html><p>hi'))).toBe('text/html');
    expect(sniffContentType(Buffer.from('\uFEFF<script>alert(1)</script>'))).toBe('text/html');
    expect(sniffContentType(Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('image/svg+xml');
    expect(sniffContentType(Buffer.from('<?xml version="1.0"?><note/>'))).toBe('application/xml');
    expect(sniffContentType(Buffer.from('{"a": [1, 2]}'))).toBe('application/json');
    expect(sniffContentType(Buffer.from('plain words, ünïcode'))).toBe('text/plain');
    expect(sniffContentType(Buffer.from([0, 1, 2, 3, 0xfe]))).toBe('application/octet-stream');
    expect(sniffContentType(Buffer.alloc(0))).toBe('application/octet-stream');
  });

  it('never labels a download with a type a browser would run', () => {
    for (const active of ['text/html', 'image/svg+xml', 'application/xml', 'application/octet-stream', 'application/x-msdownload']) {
      expect(servedContentType(active)).toBe('application/octet-stream');
    }
    expect(servedContentType('application/pdf')).toBe('application/pdf');
    expect(servedContentType('text/plain')).toBe('text/plain; charset=utf-8');
  });
});

describe('download headers', () => {
  it('parses single byte ranges and refuses unsatisfiable ones', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=50-1000', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseRange(undefined, 100)).toBeUndefined();
  });

  it('names the attachment safely, with the exact name in filename*', () => {
    expect(contentDisposition('report.pdf')).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    expect(contentDisposition('naïve "quote";.txt')).toBe(`attachment; filename="na_ve _quote__.txt"; filename*=UTF-8''na%C3%AFve%20%22quote%22%3B.txt`);
  });

  it('reads If-Match as a revision', () => {
    expect(parseIfMatch('"3"')).toBe(3);
    expect(parseIfMatch('W/"12"')).toBe(12);
    expect(parseIfMatch('*')).toBeUndefined();
    expect(() => parseIfMatch('"abc"')).toThrow();
  });
});

describe('resumable uploads', () => {
  it('derives the offset from the gap-free run of staged blocks', async () => {
    const MiB = 1024 * 1024;
    const blob = (uncommitted: [number, number][], committed: [number, number][] = []) =>
      ({
        getBlockList: async () => ({
          committedBlocks: committed.map(([offset, size]) => ({ name: blockIdFor(offset), size })),
          uncommittedBlocks: uncommitted.map(([offset, size]) => ({ name: blockIdFor(offset), size })),
        }),
      }) as unknown as BlockBlobClient;
    expect(await stagedChain(blob([]))).toEqual({ offset: 0, ids: [], committed: false });
    // out of order, as parallel staging leaves them
    expect((await stagedChain(blob([[4 * MiB, 4 * MiB], [0, 4 * MiB], [8 * MiB, 100]]))).offset).toBe(8 * MiB + 100);
    // a kill left a gap: the block after it does not count (yet)
    const gap = await stagedChain(blob([[0, 4 * MiB], [8 * MiB, 4 * MiB]]));
    expect(gap.offset).toBe(4 * MiB);
    expect(gap.ids).toEqual([blockIdFor(0)]);
    // committed (a completion cut short after the commit): the blob is whole
    expect(await stagedChain(blob([], [[0, 10], [10, 5]]))).toMatchObject({ offset: 15, committed: true });
  });

  it('encodes offsets in block ids of one length', () => {
    expect(offsetOfBlockId(blockIdFor(123_456_789))).toBe(123_456_789);
    expect(blockIdFor(0).length).toBe(blockIdFor(5 * 1024 ** 3).length);
  });

  it('parses Upload-Metadata', () => {
    expect(parseUploadMetadata(`filename ${Buffer.from('ä.txt').toString('base64')},flag`)).toEqual({ filename: 'ä.txt', flag: '' });
    expect(() => parseUploadMetadata('filename not*base64')).toThrow();
  });
});
