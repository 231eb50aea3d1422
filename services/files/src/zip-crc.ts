import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';

/** The part of `buffer-crc32` that yazl calls: `unsigned(chunk, previous)`, the running CRC-32 of a member. */
interface BufferCrc32 {
  unsigned(buf: Buffer | string, previous?: number | Buffer): number;
}

/** The copy of `buffer-crc32` yazl itself loads (resolved from yazl's own folder, not from ours). */
export function yazlCrc32Module(): BufferCrc32 {
  const fromHere = createRequire(import.meta.url);
  return createRequire(fromHere.resolve('yazl'))('buffer-crc32') as BufferCrc32;
}

/** Node's own CRC-32 (zlib's, in C), with `buffer-crc32`'s arguments. */
export function nativeUnsigned(buf: Buffer | string, previous?: number | Buffer): number {
  const prior = Buffer.isBuffer(previous) ? previous.readUInt32BE(0) : (previous ?? 0);
  return crc32(buf, prior);
}

/**
 * yazl computes every member's CRC-32 with `buffer-crc32`, a JavaScript loop over each byte
 * (about 150 MiB/s on this machine, under load; zlib's is 1.4 GiB/s): for stored members of a
 * large archive that loop is most of the files process's CPU per byte. yazl takes no CRC from its
 * caller for a stream (it cannot know it ahead), so the function it calls is replaced, once, in
 * the module yazl loaded: the same results (unit-tested against `buffer-crc32`'s own and against
 * an archive read back), in C. Node has `zlib.crc32` since 20.15 and 22.2.
 */
export function useNativeCrc32ForYazl(): void {
  const module = yazlCrc32Module();
  if (module.unsigned !== nativeUnsigned) module.unsigned = nativeUnsigned;
}
