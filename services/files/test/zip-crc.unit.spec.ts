import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ZipFile } from 'yazl';
import '../src/zip.js';
import { nativeUnsigned, yazlCrc32Module } from '../src/zip-crc.js';

/** A whole archive of one stored member streamed by yazl, as bytes. */
async function archiveOf(data: Buffer): Promise<Buffer> {
  const zip = new ZipFile();
  // in pieces, as a blob arrives: the CRC runs over every chunk in turn
  const pieces = [data.subarray(0, 1000), data.subarray(1000, 70_000), data.subarray(70_000)];
  zip.addReadStream(Readable.from(pieces), 'member.bin', { size: data.length, compress: false });
  zip.end();
  const out: Buffer[] = [];
  for await (const chunk of zip.outputStream.pipe(new PassThrough())) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

describe("yazl's CRC-32, computed by zlib", () => {
  it('is in place once the archive code is loaded: the function yazl calls is the native one', () => {
    expect(yazlCrc32Module().unsigned).toBe(nativeUnsigned);
  });

  it('gives the CRC-32 of the standard check value and of the empty input', () => {
    expect(nativeUnsigned(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(nativeUnsigned('123456789')).toBe(0xcbf43926);
    expect(nativeUnsigned(Buffer.alloc(0))).toBe(0);
  });

  it('runs on from a previous CRC, given as a number or as buffer-crc32 gives it (4 bytes, big-endian, signed)', () => {
    const a = randomBytes(5000);
    const b = randomBytes(3000);
    const whole = nativeUnsigned(Buffer.concat([a, b]));
    expect(nativeUnsigned(b, nativeUnsigned(a))).toBe(whole);
    const previous = Buffer.alloc(4);
    previous.writeInt32BE(nativeUnsigned(a) | 0, 0);
    expect(nativeUnsigned(b, previous)).toBe(whole);
  });

  it("writes a stored member's true CRC-32 in the archive (local header's data descriptor and central directory)", async () => {
    const data = randomBytes(200_000);
    const zip = await archiveOf(data);
    const expected = crc32(data);
    // data descriptor: signature PK\x07\x08, then the CRC
    const descriptor = zip.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]), 30 + data.length);
    expect(descriptor).toBeGreaterThan(0);
    expect(zip.readUInt32LE(descriptor + 4)).toBe(expected);
    // central directory header: signature PK\x01\x02, the CRC at offset 16
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), descriptor);
    expect(central).toBeGreaterThan(0);
    expect(zip.readUInt32LE(central + 16)).toBe(expected);
  });
});
