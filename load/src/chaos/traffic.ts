/**
 * The chaos workload and its ledger: uploads that a well-behaved client retries with its
 * Idempotency-Key until they are acknowledged (201), downloads of what was acknowledged, every
 * answer counted by status, every request that does not answer within HUNG_MS counted as hung;
 * then a check from outside of what the system kept: every acknowledged upload listed exactly once
 * and downloaded whole (sha256), none twice.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request } from 'undici';
import { type LoadUser, Target, registerAndSignIn } from '../http.js';

export const HUNG_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export interface Attempt {
  status: number;
  /** No answer: `hung` (nothing within HUNG_MS) or `connection` (refused or cut: the process was gone). */
  failure?: 'hung' | 'connection';
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One call with the chaos client's rules: a deadline of HUNG_MS for the whole answer, errors turned into counts. */
export async function call(url: string, init: { method?: 'GET' | 'POST' | 'PATCH'; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Attempt> {
  try {
    const res = await request(url, {
      method: init.method ?? 'GET',
      headers: { 'user-agent': 'strata-chaos/1', ...init.headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal: AbortSignal.timeout(HUNG_MS),
      headersTimeout: HUNG_MS,
      bodyTimeout: HUNG_MS,
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const hung = name === 'TimeoutError' || name === 'AbortError' || /Timeout/i.test(String((error as { code?: string }).code ?? ''));
    return { status: 0, failure: hung ? 'hung' : 'connection', headers: {}, body: Buffer.alloc(0) };
  }
}

export class Tally {
  readonly statuses = new Map<string, number>();
  add(key: string): void {
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
  }
  count(predicate: (key: string) => boolean): number {
    let n = 0;
    for (const [k, v] of this.statuses) if (predicate(k)) n += v;
    return n;
  }
  get total(): number {
    return this.count(() => true);
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.statuses].sort(([a], [b]) => a.localeCompare(b)));
  }
}

const keyOf = (a: Attempt) => (a.failure ? a.failure : String(a.status));

interface Upload {
  key: string;
  name: string;
  user: LoadUser;
  sha: string;
  size: number;
  /** Every id a 201 named for this key: more than one is a duplicate. */
  ids: Set<string>;
  acknowledgedAt?: number;
  startedAt: number;
}

export interface WorkloadOptions {
  /** Uploads started per second (each then retried until acknowledged). */
  uploadsPerSecond: number;
  downloadsPerSecond: number;
  /** A bound on the uploads started, whatever the duration. */
  maxUploads: number;
  /** How long one upload is retried before it counts as not acknowledged. */
  giveUpMs?: number;
  /** Bytes of each upload: from min to max. */
  sizes?: [number, number];
}

/** Users enough that the gateway's per-user limit (100/min) is never what answers. */
export async function chaosUsers(gatewayUrl: string, count: number, runId: string): Promise<LoadUser[]> {
  const target = new Target(gatewayUrl, 4);
  try {
    const users: LoadUser[] = [];
    for (let i = 0; i < count; i++) users.push(await registerAndSignIn(target, `chaos-${runId}-${i}@example.com`));
    return users;
  } finally {
    await target.close();
  }
}

function multipart(name: string, content: Buffer): { body: Buffer; contentType: string } {
  const boundary = `strata-chaos-${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  return { body: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The workload: start() it, inject faults, stop() it; then verify(). */
export class Workload {
  readonly uploads: Upload[] = [];
  readonly uploadAnswers = new Tally();
  readonly downloadAnswers = new Tally();
  /** 200 downloads whose bytes were not what was uploaded. */
  corruptDownloads = 0;
  /** 5xx answers without problem+json, or a 503 without Retry-After. */
  badErrorBodies = 0;
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();
  private loops: Promise<void>[] = [];
  private readonly options: Required<WorkloadOptions>;

  constructor(
    private readonly gatewayUrl: string,
    private readonly users: LoadUser[],
    private readonly runId: string,
    options: WorkloadOptions,
  ) {
    this.options = { giveUpMs: 120_000, sizes: [1024, 64 * 1024], ...options };
  }

  start(): void {
    this.running = true;
    this.loops = [this.uploadLoop(), ...(this.options.downloadsPerSecond > 0 ? [this.downloadLoop()] : [])];
  }

  /** Waits until every upload of maxUploads has started, then stops as stop() does. */
  async finish(): Promise<void> {
    await this.loops[0];
    await this.stop();
  }

  /** Stops starting new work and waits for every upload to be acknowledged or given up. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await Promise.all([...this.inFlight]);
  }

  get acknowledged(): Upload[] {
    return this.uploads.filter((u) => u.acknowledgedAt !== undefined);
  }

  private note(answer: Attempt, tally: Tally): void {
    tally.add(keyOf(answer));
    if (answer.status >= 500) {
      const type = String(answer.headers['content-type'] ?? '');
      if (!type.includes('application/problem+json') || (answer.status === 503 && !answer.headers['retry-after'])) this.badErrorBodies++;
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async uploadLoop(): Promise<void> {
    const every = 1000 / this.options.uploadsPerSecond;
    const started = Date.now();
    for (let n = 0; this.running && n < this.options.maxUploads; n++) {
      const wait = started + n * every - Date.now();
      if (wait > 0) await sleep(wait);
      if (!this.running) break;
      this.track(this.upload(n));
    }
  }

  private async upload(n: number): Promise<void> {
    const [min, max] = this.options.sizes;
    const content = randomBytes(min + Math.floor(Math.random() * (max - min)));
    const user = this.users[n % this.users.length]!;
    const upload: Upload = { key: randomUUID(), name: `chaos-${this.runId}-${n}.bin`, user, sha: sha256(content), size: content.length, ids: new Set(), startedAt: Date.now() };
    this.uploads.push(upload);
    const { body, contentType } = multipart(upload.name, content);
    const deadline = Date.now() + this.options.giveUpMs;
    while (Date.now() < deadline) {
      const answer = await call(`${this.gatewayUrl}/api/v1/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.token}`, 'content-type': contentType, 'idempotency-key': upload.key },
        body,
      });
      this.note(answer, this.uploadAnswers);
      if (answer.status === 201) {
        const id = (JSON.parse(answer.body.toString('utf8')) as { id?: string }).id;
        if (id) upload.ids.add(id);
        upload.acknowledgedAt ??= Date.now();
        return;
      }
      if (answer.status >= 400 && answer.status < 500 && answer.status !== 429 && answer.status !== 409) {
        // a refusal of a well-formed upload: not retried, and counted (the report shows the status)
        return;
      }
      const retryAfter = Number(answer.headers['retry-after'] ?? 0) * 1000;
      // a 429 is waited out as told (each early retry would count against the limit again); a
      // 503's Retry-After is a hint: a client presses on the recovery, at most every 2 s
      const wait = answer.status === 429 ? Math.max(retryAfter, 1_000) : Math.min(Math.max(retryAfter, 250), 2_000);
      await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
    }
  }

  private async downloadLoop(): Promise<void> {
    const every = 1000 / this.options.downloadsPerSecond;
    for (let next = Date.now() + every; this.running; next += every) {
      // short sleeps: stop() is not held back by a slow rate
      while (this.running && Date.now() < next) await sleep(Math.min(200, next - Date.now()));
      if (!this.running) break;
      const done = this.acknowledged;
      const pick = done[Math.floor(Math.random() * done.length)];
      if (!pick) continue;
      this.track(this.download(pick));
    }
  }

  private async download(upload: Upload): Promise<void> {
    const [id] = upload.ids;
    const answer = await call(`${this.gatewayUrl}/api/v1/files/${id}/content?redirect=false`, { headers: { authorization: `Bearer ${upload.user.token}` } });
    this.note(answer, this.downloadAnswers);
    if (answer.status === 200 && sha256(answer.body) !== upload.sha) this.corruptDownloads++;
  }

  /**
   * What the system kept, asked once it is up again: each user's files listed whole, each
   * acknowledged upload there once (by its unique name) and its content equal by sha256.
   */
  async verify(): Promise<Verification> {
    const listed = new Map<string, string[]>();
    for (const user of new Set(this.uploads.map((u) => u.user))) {
      let cursor: string | undefined;
      do {
        const q = new URLSearchParams({ limit: '100', q: `chaos-${this.runId}-` });
        if (cursor) q.set('cursor', cursor);
        const page = await untilAnswered(`${this.gatewayUrl}/api/v1/files?${q}`, user.token);
        const json = JSON.parse(page.body.toString('utf8')) as { items: { id: string; name: string }[]; nextCursor?: string | null };
        for (const item of json.items) listed.set(item.name, [...(listed.get(item.name) ?? []), item.id]);
        cursor = json.nextCursor ?? undefined;
      } while (cursor);
    }
    let lost = 0;
    let duplicated = 0;
    let corrupt = 0;
    const lostNames: string[] = [];
    for (const upload of this.acknowledged) {
      const ids = listed.get(upload.name) ?? [];
      if (ids.length > 1 || upload.ids.size > 1) duplicated++;
      const [acked] = upload.ids;
      if (!acked || !ids.includes(acked)) {
        lost++;
        lostNames.push(upload.name);
        continue;
      }
      const content = await untilAnswered(`${this.gatewayUrl}/api/v1/files/${acked}/content?redirect=false`, upload.user.token);
      if (sha256(content.body) !== upload.sha) {
        corrupt++;
        lostNames.push(`${upload.name} (sha256 differs)`);
      }
    }
    const unacknowledgedButKept = this.uploads.filter((u) => u.acknowledgedAt === undefined && listed.has(u.name)).length;
    return { lost: lost + corrupt, duplicated, unacknowledgedButKept, lostNames: lostNames.slice(0, 10) };
  }
}

export interface Verification {
  /** Acknowledged uploads not listed, or whose content is not what was sent. */
  lost: number;
  /** Acknowledged uploads listed more than once, or acknowledged with two ids. */
  duplicated: number;
  /** Uploads never acknowledged (given up) that the system kept anyway: allowed, shown. */
  unacknowledgedButKept: number;
  lostNames: string[];
}

/** A read during verification: retried until it is a 200 (the system is back, or the check fails after a minute). */
async function untilAnswered(url: string, token: string): Promise<Attempt> {
  const deadline = Date.now() + 60_000;
  let last: Attempt | undefined;
  while (Date.now() < deadline) {
    last = await call(url, { headers: { authorization: `Bearer ${token}` } });
    if (last.status === 200) return last;
    await sleep(500);
  }
  throw new Error(`verification: ${url} answered ${last?.status ?? 'nothing'} for a minute`);
}
