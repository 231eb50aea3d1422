// The shared test client (cookie jar, token, JSON, FormData and bytes bodies).
export { Client, eventually, sha256 } from '@strata/testing/client';

/**
 * A multipart body written by hand, so a test controls the raw Content-Disposition (a NUL, an
 * RFC 5987 filename*, a path) that FormData would clean up.
 */
export function rawMultipart(disposition: string, bytes: Buffer, type = 'application/octet-stream') {
  const boundary = `----strata${Date.now()}${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\nContent-Type: ${type}\r\n\r\n`, 'utf8');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, bytes, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}
