import type { FastifyRequest } from 'fastify';
import { AppError, UNDRAINED } from './errors.js';

// What every app does with a request before and after its route: the same for all, in one place.

/**
 * onRequest: a query string that does not percent-decode (`%ZZ`, `%ff`, an encoded lone surrogate)
 * is refused with a 400, once for every route. Fastify's parser keeps such sequences as literal
 * text, so `q=%ZZ` would search for "%ZZ" and a cursor would reach the decoder half-decoded.
 */
export async function refuseUndecodableQuery(request: FastifyRequest): Promise<void> {
  const at = request.url.indexOf('?');
  if (at < 0) return;
  try {
    decodeURIComponent(request.url.slice(at + 1));
  } catch {
    throw new AppError(400, 'malformed-query', 'Malformed query string', 'The query string is not valid percent-encoded UTF-8.');
  }
}

/** How much of a refused body is read and dropped to keep its connection; past this the connection is closed. */
const DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * onResponse: an answer given before the request's body was read to its end (an upload refused for
 * its name, size or quota, a malformed multipart body) leaves the rest of the body in the
 * connection. Node keeps such a connection open without reading it (someone began to read the
 * body), so the next request on it, a sidecar's pooled connection, would wait forever. The rest
 * is read and dropped, as nginx's lingering close does, so the connection serves the next
 * request; a rest larger than DRAIN_BYTES is cut off by closing the connection. Closing at once
 * instead would reset the connection under bytes still arriving, and a reset can take the answer
 * with it before the client has read it.
 */
export async function drainUnreadBody(request: FastifyRequest): Promise<void> {
  const body = request.raw;
  if (body.complete || body.destroyed || UNDRAINED.has(body)) return;
  let drained = 0;
  // a multipart parser that stopped reading would hold the body back through its pipe
  body.unpipe();
  body.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) body.socket.destroy();
  });
  body.resume();
}
