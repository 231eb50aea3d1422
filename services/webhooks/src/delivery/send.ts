import http from 'node:http';
import https from 'node:https';
import { type Cidr, type Resolver, TargetRefused, checkUrlForm, pinnedLookup, systemResolver } from './targets.js';

/** What one attempt came to: the receiver's status, or why there was none. */
export interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
}

export interface SendOptions {
  allow: readonly Cidr[];
  timeoutMs: number;
  resolve?: Resolver;
  userAgent?: string;
}

/** The receiver's answer is read this far and dropped (its body is never stored or shown). */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One POST of a signed body. The URL is checked again here (an address literal at once, a name
 * on the addresses the socket's lookup gets), the socket connects to those checked addresses, a
 * redirect is an answer like any other (not followed: a 3xx fails), and the whole attempt has one
 * deadline.
 */
export function send(rawUrl: string, headers: Record<string, string>, body: string, options: SendOptions): Promise<AttemptResult> {
  const started = performance.now();
  const done = (ok: boolean, status: number | null, error: string | null): AttemptResult => ({ ok, status, error, durationMs: Math.round(performance.now() - started) });
  let url: URL;
  try {
    url = checkUrlForm(rawUrl, options.allow).url;
  } catch (error) {
    return Promise.resolve(done(false, null, error instanceof TargetRefused ? error.message : 'invalid URL'));
  }
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    const request = transport.request(url, {
      method: 'POST',
      // a fresh connection each time: a pooled socket would skip the lookup (and its check)
      agent: false,
      lookup: pinnedLookup(url, options.allow, options.resolve ?? systemResolver),
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': options.userAgent ?? 'Strata-Webhooks/1',
      },
    });
    const deadline = setTimeout(() => {
      request.destroy(new Error('timeout'));
    }, options.timeoutMs);
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) response.destroy();
      });
      const settle = () => {
        const ok = status >= 200 && status < 300;
        const error = ok ? null : status >= 300 && status < 400 ? `redirect (${status}) not followed` : `answered ${status}`;
        finish(done(ok, status, error));
      };
      response.on('end', settle);
      response.on('close', settle);
      response.on('error', settle);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'ESSRF' ? error.message
        : error.message === 'timeout' ? `no answer within ${options.timeoutMs} ms`
        : error.code ? `connection failed (${error.code})`
        : 'connection failed';
      finish(done(false, null, reason));
    });
    request.end(body);
  });
}
