import { request } from 'node:http';

/** One request as the fuzz sends it: the path and headers exactly as written (fetch would clean them up). */
export interface RawRequest {
  method: string;
  /** Path and query, sent byte for byte. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const TIMEOUT_MS = 30_000;

/** Sends one request on a fresh connection (a refusal may close it) and reads the whole answer. */
export function send(base: URL, req: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, ...(req.body ? { 'content-length': String(req.body.length) } : {}) };
    const outgoing = request({ host: base.hostname, port: base.port, method: req.method, path: req.path, headers, agent: false, timeout: TIMEOUT_MS }, (res) => {
      // a live stream does not end: its status and headers are the answer
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0) });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}
