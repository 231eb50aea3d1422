import type { IncomingMessage } from 'node:http';

/** Why a request path cannot be given one meaning. */
export class PathError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'PathError';
  }
}

// Characters a segment keeps unencoded in the canonical form (RFC 3986 pchar minus pct-encoded).
const KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;

function encodeSegment(segment: string): string {
  let out = '';
  for (const char of segment) out += KEEP.test(char) ? char : encodeURIComponent(char);
  return out;
}

/**
 * The one spelling of a request path that every decision is taken on (routing, the public
 * surface, rate-limit classes, cache keys, forwarding): percent-decoded once and re-encoded the
 * same way, repeated slashes collapsed, `.` and `..` resolved.
 *
 * Refused, because two layers could read them differently: malformed percent-encoding or UTF-8,
 * an encoded `/`, `\` anywhere, control characters (NUL included), `..` above the root, and, once
 * decoded, `%`, `?` or `#` (Dapr decodes the method path of an invocation and would read them a
 * second time).
 */
export function canonicalPath(rawPath: string): string {
  if (!rawPath.startsWith('/')) throw new PathError('the path must start with "/"');
  const out: string[] = [];
  for (const raw of rawPath.split('/').slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new PathError('the path is not valid percent-encoded UTF-8');
    }
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (/[\u0000-\u001f\u007f\\]/.test(segment)) throw new PathError('the path holds a control character or a backslash');
    // none of these can stand unencoded in a raw segment, so here they were decoded
    if (/[/%?#]/.test(segment)) throw new PathError('the path encodes "/", "%", "?" or "#"');
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) throw new PathError('the path climbs above the root');
      out.pop();
      continue;
    }
    out.push(encodeSegment(segment));
  }
  const trailing = /\/(\.{1,2})?$/.test(rawPath.replace(/%2e/gi, '.')) && out.length > 0;
  return `/${out.join('/')}${trailing ? '/' : ''}`;
}

const BAD_PATH = Symbol('strata.bad-path');
type Marked = IncomingMessage & { [BAD_PATH]?: string };

/**
 * Fastify's rewriteUrl: every request is routed on its canonical path (the query is kept as
 * sent). A path with no single meaning keeps its URL and is marked; `pathProblem` then names the
 * reason, and the platform answers 400 before any route runs.
 */
export function rewriteToCanonical(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const at = url.indexOf('?');
  const path = at < 0 ? url : url.slice(0, at);
  const query = at < 0 ? '' : url.slice(at);
  try {
    return canonicalPath(path) + query;
  } catch (error) {
    (req as Marked)[BAD_PATH] = error instanceof PathError ? error.reason : 'the path cannot be read';
    return '/';
  }
}

export function pathProblem(req: IncomingMessage): string | undefined {
  return (req as Marked)[BAD_PATH];
}
