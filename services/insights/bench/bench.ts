/**
 * How fast insights reads and finds, on a stack of its own, through the gateway as a user:
 *
 *   index    a mixed corpus (text PDFs, DOCX, text, PNGs of text, scanned PDFs) uploaded and timed
 *            until every file is read: documents/s and MiB/s by format
 *   latency  upload → searchable: from the upload's 201 to the first search for a word planted in
 *            the file that returns it, one upload after another; p50/p99
 *   ocr      scanned PDF pages read per second
 *   search   GET /api/v1/search with 10,000 and 100,000 indexed documents of one user (written
 *            straight into insights' tables), by kind of query; the same queries at the database
 *            against the statement search ran before search_docs (bench/baseline.ts), in turns;
 *            EXPLAIN ANALYZE of each kind
 *
 * and the peak RSS (VmHWM) of the insights process over the run.
 *
 *   npm run bench -w @strata/insights
 *   npm run bench -w @strata/insights -- --part search --docs 10000
 *   npm run bench -w @strata/insights -- --part index,latency,ocr --corpus 30 --latency-n 10
 *
 * The stack's ports are shifted by BENCH_PORT_OFFSET (default 11000), its database is
 * strata_bench_insights (BENCH_DATABASE), its Redis DB BENCH_REDIS_DB (7; never flushed). The
 * apps read this process's environment: INDEX_CONCURRENCY and the other INDEX_* settings apply.
 * Results: a table on the console and .strata/bench/insights.json (plans beside it).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AZURITE_BLOB_PORT, AppIds } from '@strata/contracts';
import { type Stack, startStack } from '@strata/dev';
import { kyselyFromPool } from '@strata/event-store';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/db/schema.js';
import { search } from '../src/projections/search.js';
import { baselineSearch } from './baseline.js';
import { type BenchFile, HEAD_WORDS, type Kind, STOP_WORDS, TextGen, allTextPdf, makeFile, photoPdf, plantedWord, prng, vocabulary } from './corpus.js';
import { type Explained, clearFill, explainSearch, fill } from './fill.js';

const MiB = 1024 * 1024;
const PARTS = ['index', 'latency', 'ocr', 'search'] as const;
type Part = (typeof PARTS)[number];

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: PARTS.join(',') },
    docs: { type: 'string', default: '10000,100000' },
    corpus: { type: 'string', default: '60' },
    'latency-n': { type: 'string', default: '30' },
    queries: { type: 'string', default: '40' },
    'ocr-docs': { type: 'string', default: '3' },
    'ocr-pages': { type: 'string', default: '4' },
  },
});
const parts = new Set(values.part.split(',').map((p) => p.trim()));
for (const p of parts) if (!PARTS.includes(p as Part)) throw new Error(`--part ${p}: expected some of ${PARTS.join(', ')}`);
const DOC_SIZES = values.docs.split(',').map(Number).sort((a, b) => a - b);
if (DOC_SIZES.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--docs ${values.docs}: expected whole numbers`);
const CORPUS = Number(values.corpus);
const LATENCY_N = Number(values['latency-n']);
const QUERIES = Number(values.queries);
/** Queries of each kind timed at the database against the baseline (the baseline is slow at 100,000). */
const BASELINE_QUERIES = 30;
const OCR_DOCS = Number(values['ocr-docs']);
const OCR_PAGES = Number(values['ocr-pages']);
const OFFSET = Number(process.env.BENCH_PORT_OFFSET ?? 11_000);
const REPO_ROOT = new URL('../../..', import.meta.url).pathname;
const OUT_DIR = join(REPO_ROOT, '.strata', 'bench');
/** How long one file may take to be read before the bench gives up on it (OCR on a loaded machine). */
const SETTLE_TIMEOUT_MS = 180_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (n: number) => Math.round(n * 10) / 10;

function stats(times: number[]) {
  const s = [...times].sort((a, b) => a - b);
  return { n: s.length, p50Ms: ms(percentile(s, 50)), p99Ms: ms(percentile(s, 99)), maxMs: ms(s.at(-1)!) };
}

/** The insights process's memory: VmHWM is its peak resident set since it started, VmRSS now (MiB). */
function memoryOf(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, hwm: 0 }; // gone: the run fails elsewhere and says why
  }
}

/** Samples a process's VmRSS every 100 ms into every open window: the peak of a stretch of the run. */
class RssWatch {
  private readonly windows = new Set<{ peak: number }>();
  private readonly timer: NodeJS.Timeout;
  constructor(readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample(): number {
    const { rss } = memoryOf(this.pid);
    for (const w of this.windows) w.peak = Math.max(w.peak, rss);
    return rss;
  }

  /** Opens a window; its function closes it and gives the peak VmRSS seen in it (MiB). */
  open(): () => number {
    const w = { peak: 0 };
    this.windows.add(w);
    this.sample();
    return () => {
      this.sample();
      this.windows.delete(w);
      return w.peak;
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** One user of the stack's gateway; signs in again when asked, so long runs outlive a token. */
class User {
  private token = '';
  id = '';
  private readonly email = `bench-${randomUUID()}@example.test`;
  private readonly password = 'bench password, long enough';
  constructor(private readonly gw: string) {}

  async register(): Promise<this> {
    const res = await fetch(`${this.gw}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: this.email, password: this.password, displayName: 'Bench' }) });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
    this.id = ((await res.json()) as { id: string }).id;
    await this.login();
    return this;
  }

  async login(): Promise<void> {
    const res = await fetch(`${this.gw}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: this.email, password: this.password }) });
    if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
    this.token = ((await res.json()) as { accessToken: string }).accessToken;
  }

  async get(path: string): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${this.gw}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async upload(file: BenchFile): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([file.bytes], { type: file.type }), file.name);
    const res = await fetch(`${this.gw}/api/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${this.token}` }, body: form });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`upload ${file.name}: ${res.status} ${text}`);
    return (JSON.parse(text) as { id: string }).id;
  }

  async searchIds(q: string): Promise<string[]> {
    const res = await this.get(`/api/v1/search?q=${encodeURIComponent(q)}`);
    if (res.status !== 200) throw new Error(`search ${q}: ${res.status} ${JSON.stringify(res.json)}`);
    return (res.json.items as { fileId: string }[]).map((i) => i.fileId);
  }
}

interface Settled {
  status: 'indexed' | 'failed';
  reason?: string;
  ocrPages: number;
  pages: number;
  at: number;
}

/**
 * Polls the files' insights until every one is read (indexed or failed); when each settled.
 * A 404 is a file insights has not heard of yet (the event is on its way).
 */
async function settleAll(user: User, ids: string[], timeoutMs = SETTLE_TIMEOUT_MS): Promise<Map<string, Settled>> {
  const done = new Map<string, Settled>();
  let lastProgress = performance.now();
  while (done.size < ids.length) {
    for (const id of ids) {
      if (done.has(id)) continue;
      const res = await user.get(`/api/v1/files/${id}/insights`);
      const status = res.json.status;
      if (res.status === 200 && (status === 'indexed' || status === 'failed')) {
        done.set(id, { status, ...(typeof res.json.reason === 'string' ? { reason: res.json.reason } : {}), ocrPages: Number(res.json.ocrPages ?? 0), pages: Number(res.json.pages ?? 0), at: performance.now() });
        lastProgress = performance.now();
      } else if (res.status !== 200 && res.status !== 404) {
        throw new Error(`insights of ${id}: ${res.status} ${JSON.stringify(res.json)}`);
      }
    }
    if (done.size < ids.length) {
      if (performance.now() - lastProgress > timeoutMs) throw new Error(`${ids.length - done.size} files not read within ${timeoutMs / 1000} s of the last one`);
      await sleep(100);
    }
  }
  return done;
}

interface FormatRow {
  kind: Kind;
  files: number;
  failed: number;
  /** Files a search for their planted word returns: what was read is findable. */
  found: number;
  ocrPages: number;
  mib: number;
  seconds: number;
  docsPerSecond: number;
  mibPerSecond: number;
  /** Peak VmRSS of insights while this format was read (MiB). */
  peakRssMiB?: number;
  failures?: string[];
}

/**
 * Each format's files uploaded one after another and timed, from the first upload's start to the
 * last file read: documents and MiB per second. Formats go one after the other so each figure is
 * its own; the total is the mixed corpus.
 */
async function indexPart(user: User, gen: TextGen, rand: () => number, corpus: number, rss: RssWatch): Promise<{ formats: FormatRow[]; total: Omit<FormatRow, 'kind'> }> {
  const scans = corpus >= 30 ? 2 : 1;
  const pngs = Math.max(1, Math.round(corpus * 0.1));
  const rest = Math.max(3, corpus - scans - pngs);
  const counts: [Kind, number][] = [
    ['pdf', Math.ceil(rest / 3)],
    ['docx', Math.ceil(rest / 3)],
    ['text', rest - 2 * Math.ceil(rest / 3)],
    ['png', pngs],
    ['scan', scans],
  ];
  const formats: FormatRow[] = [];
  for (const [kind, n] of counts) {
    if (n <= 0) continue;
    const words = Array.from({ length: n }, () => plantedWord(rand));
    const files = await Promise.all(words.map((w, i) => makeFile(kind, gen, i, w)));
    const window = rss.open();
    const t0 = performance.now();
    const ids: string[] = [];
    for (const f of files) ids.push(await user.upload(f));
    const settled = await settleAll(user, ids);
    const seconds = (Math.max(...[...settled.values()].map((s) => s.at)) - t0) / 1000;
    const peakRssMiB = window();
    const mib = files.reduce((s, f) => s + f.bytes.length, 0) / MiB;
    const failures = [...settled.values()].filter((s) => s.status === 'failed').map((s) => s.reason ?? 'no reason');
    let found = 0;
    for (const [i, w] of words.entries()) if ((await user.searchIds(w)).includes(ids[i]!)) found++;
    const ocrPages = [...settled.values()].reduce((s, v) => s + v.ocrPages, 0);
    formats.push({ kind, files: n, failed: failures.length, found, ocrPages, mib, seconds, docsPerSecond: n / seconds, mibPerSecond: mib / seconds, peakRssMiB, ...(failures.length ? { failures } : {}) });
    console.log(`  ${kind}: ${n} files, ${mib.toFixed(2)} MiB in ${seconds.toFixed(1)} s, ${found} found by their planted word${failures.length ? `, ${failures.length} failed (${failures.join(', ')})` : ''}`);
  }
  const sum = (k: 'files' | 'failed' | 'found' | 'ocrPages' | 'mib' | 'seconds') => formats.reduce((s, f) => s + f[k], 0);
  return { formats, total: { files: sum('files'), failed: sum('failed'), found: sum('found'), ocrPages: sum('ocrPages'), mib: sum('mib'), seconds: sum('seconds'), docsPerSecond: sum('files') / sum('seconds'), mibPerSecond: sum('mib') / sum('seconds') } };
}

interface LatencyRow {
  file: string;
  bytes: number;
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  notFound: number;
}

/** From the upload's 201 to the first search for the file's planted word that returns it. */
async function latencyOf(user: User, label: string, n: number, make: (word: string, i: number) => Promise<BenchFile>, rand: () => number): Promise<LatencyRow> {
  const times: number[] = [];
  let bytes = 0;
  let notFound = 0;
  for (let i = 0; i < n; i++) {
    const word = plantedWord(rand);
    const file = await make(word, i);
    bytes = file.bytes.length;
    const id = await user.upload(file);
    const t0 = performance.now();
    for (;;) {
      if ((await user.searchIds(word)).includes(id)) {
        times.push(performance.now() - t0);
        break;
      }
      if (performance.now() - t0 > SETTLE_TIMEOUT_MS) {
        notFound++;
        const state = await user.get(`/api/v1/files/${id}/insights`);
        console.log(`  ${label}: not searchable after ${SETTLE_TIMEOUT_MS / 1000} s (${JSON.stringify(state.json).slice(0, 200)})`);
        break;
      }
      await sleep(20);
    }
  }
  const row = { file: label, bytes, ...(times.length ? stats(times) : { n: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN }), notFound };
  console.log(`  ${label}: p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms over ${row.n}`);
  return row;
}

async function latencyPart(user: User, gen: TextGen, rand: () => number, n: number): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  rows.push(await latencyOf(user, 'text file, ~2 KB', n, async (w, i) => ({ kind: 'text', name: `note-${i}.txt`, type: 'text/plain', bytes: Buffer.from(`${gen.text(2_000)} Reference ${w}.\n`), scannedPages: 0 }), rand));
  let photo: Buffer | undefined;
  rows.push(
    await latencyOf(user, 'PDF 1 MiB: 20 text pages + a photo', n, async (w, i) => {
      const made = await photoPdf(gen, w, MiB, 20, photo);
      photo = made.photo;
      return { kind: 'pdf', name: `brochure-${i}.pdf`, type: 'application/pdf', bytes: made.bytes, scannedPages: 0 };
    }, rand),
  );
  // the worst a text PDF of that size can be: ~500 pages of nothing but text (~2 MB of it)
  rows.push(await latencyOf(user, 'PDF 1 MiB: only text (~500 pages)', Math.max(1, Math.ceil(n / 6)), async (w, i) => ({ kind: 'pdf', name: `ledger-${i}.pdf`, type: 'application/pdf', bytes: await allTextPdf(gen, w, MiB), scannedPages: 0 }), rand));
  return rows;
}

/** Scanned PDFs uploaded together, timed until read: OCR pages per second, and whether OCR found their planted words. */
async function ocrPart(user: User, gen: TextGen, rand: () => number, docs: number, pages: number) {
  const words = Array.from({ length: docs }, () => plantedWord(rand));
  const files = await Promise.all(words.map((w, i) => makeFile('scan', gen, i, w, { scanPages: pages })));
  const t0 = performance.now();
  const ids: string[] = [];
  for (const f of files) ids.push(await user.upload(f));
  const settled = await settleAll(user, ids);
  const seconds = (Math.max(...[...settled.values()].map((s) => s.at)) - t0) / 1000;
  const ocrPages = [...settled.values()].reduce((s, v) => s + v.ocrPages, 0);
  let found = 0;
  for (const [i, w] of words.entries()) if ((await user.searchIds(w)).includes(ids[i]!)) found++;
  const failed = [...settled.values()].filter((s) => s.status === 'failed').map((s) => s.reason ?? 'no reason');
  const row = { docs, pagesEach: pages, ocrPages, seconds, pagesPerSecond: ocrPages / seconds, plantedWordsFound: `${found}/${docs}`, failed };
  console.log(`  ${ocrPages} OCR pages in ${seconds.toFixed(1)} s; planted words found ${found}/${docs}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
  return row;
}

interface QueryRow {
  query: string;
  /** EXPLAIN ANALYZE of the route's statements for the first example: execution ms each. */
  explainMs?: number;
  /**
   * The same queries at the database, today's `search` and the statement it replaced
   * (bench/baseline.ts) taking turns on the same rows: p99 of each and their ratio.
   */
  sql?: { p99Ms: number; baselineP99Ms: number; ratio: number };
  examples: string[];
  hitsFirst: number;
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The kinds of query a user types, each with several instances so no one plan or page of cache decides. */
function queryMix(words: readonly string[], planted: readonly string[]): Record<string, string[]> {
  const head = HEAD_WORDS;
  return {
    'rare word (in ~1 of 10,000 docs)': planted.slice(0, 10),
    'tail word (~1% of docs)': words.slice(words.length - 400, words.length - 390),
    'common word (~half the docs)': words.slice(STOP_WORDS, STOP_WORDS + 10),
    'two words (common + mid)': Array.from({ length: 10 }, (_, i) => `${words[STOP_WORDS + i]} ${words[head + 150 + i]}`),
    'name prefix (5 letters)': words.slice(head + 100, head + 110).map((w) => w.slice(0, 5)),
  };
}

async function searchPart(user: User, stack: Stack, words: readonly string[], rand: () => number, sizes: number[], queries: number) {
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 4 });
  const planted = Array.from({ length: 20 }, () => plantedWord(rand));
  const results: { docs: number; passages: number; fillSeconds: number; queries: QueryRow[]; explained: Omit<Explained, 'text'>[]; slowest: string }[] = [];
  try {
    await clearFill(pool);
    let filled = 0;
    let passages = 0;
    for (const size of sizes) {
      const t0 = performance.now();
      // one document in 500 holds one of the 20 planted words: each word is in 1 of 10,000
      passages += await fill(pool, filled, size, { ownerId: user.id, words, planted, plantEvery: 10_000 / 20 });
      const fillSeconds = (performance.now() - t0) / 1000;
      filled = size;
      console.log(`  filled ${size} documents (${passages} passages) in ${fillSeconds.toFixed(1)} s`);
      await user.login();
      const mix = queryMix(words, planted);
      // untimed: connections, JIT, the first reads of the index into the cache
      for (const qs of Object.values(mix)) for (const q of qs.slice(0, 2)) await user.searchIds(q);
      const rows: QueryRow[] = [];
      for (const [label, qs] of Object.entries(mix)) {
        const times: number[] = [];
        let hitsFirst = 0;
        for (let i = 0; i < queries; i++) {
          const q = qs[i % qs.length]!;
          const t = performance.now();
          const ids = await user.searchIds(q);
          times.push(performance.now() - t);
          if (i === 0) hitsFirst = ids.length;
        }
        rows.push({ query: label, examples: qs.slice(0, 3), hitsFirst, ...stats(times) });
        console.log(`  ${size} docs, ${label}: p50 ${rows.at(-1)!.p50Ms} ms, p99 ${rows.at(-1)!.p99Ms} ms`);
      }
      // at the database, today's statement and the one it replaced, in turns (same rows, same load)
      const db = kyselyFromPool(pool, { namedStatements: false }) as Kysely<Database>;
      for (const row of rows) {
        const qs = mix[row.query]!;
        const now: number[] = [];
        const before: number[] = [];
        for (let i = 0; i < Math.min(queries, BASELINE_QUERIES); i++) {
          const q = qs[i % qs.length]!;
          let t = performance.now();
          await search(db, user.id, q, {}, { offset: 0, limit: 20 });
          now.push(performance.now() - t);
          t = performance.now();
          await baselineSearch(db, user.id, q, {}, { offset: 0, limit: 20 });
          before.push(performance.now() - t);
        }
        const a = stats(now).p99Ms;
        const b = stats(before).p99Ms;
        row.sql = { p99Ms: a, baselineP99Ms: b, ratio: Math.round((b / a) * 10) / 10 };
        console.log(`  ${size} docs, ${row.query}, at the database: p99 ${a} ms, before search_docs ${b} ms (${row.sql.ratio}x)`);
      }
      // every kind explained (plans in a file beside the JSON), the slowest one's costliest nodes shown
      const plans: string[] = [];
      const explainedBy = new Map<string, Explained[]>();
      for (const row of rows) {
        const q = mix[row.query]![0]!;
        const explained = await explainSearch(pool, user.id, q);
        explainedBy.set(row.query, explained);
        row.explainMs = ms(explained[0]?.executionMs ?? NaN);
        plans.push(...explained.map((e) => `-- ${row.query}, q=${q}: the ${e.statement} statement\n${e.text}\n`));
      }
      writeFileSync(join(OUT_DIR, `insights-explain-${size}.txt`), plans.join('\n'));
      const slowest = rows.reduce((a, b) => (b.p99Ms > a.p99Ms ? b : a));
      results.push({ docs: size, passages, fillSeconds, queries: rows, explained: explainedBy.get(slowest.query)!.map(({ text: _plan, ...e }) => e), slowest: slowest.query });
    }
  } finally {
    await clearFill(pool).catch(() => undefined);
    await pool.end();
  }
  return results;
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');

async function main() {
  mkdirSync(OUT_DIR, { recursive: true });
  const runDir = mkdtempSync(join(REPO_ROOT, '.strata', 'bench-insights-'));
  // the apps read their settings from this process's environment: no per-user rate limit (the
  // bench polls), tokens that outlive a part
  process.env.RATE_LIMIT_ENABLED = 'false';
  process.env.ACCESS_TOKEN_TTL_SECONDS = '3600';
  console.log(`starting a stack in ${runDir} (port offset ${OFFSET})`);
  const stack = await startStack({
    name: 'bench-insights',
    runDir,
    portOffset: OFFSET,
    database: process.env.BENCH_DATABASE ?? 'strata_bench_insights',
    redisDb: Number(process.env.BENCH_REDIS_DB ?? 7),
    azuriteBlobPort: AZURITE_BLOB_PORT + OFFSET,
    logToFiles: true,
    only: [AppIds.gateway, AppIds.files, AppIds.sessions, AppIds.insights],
  });
  const started = new Date();
  const pid = stack.apps.get(AppIds.insights)!.app.child.pid!;
  // VmRSS sampled per part (VmHWM is the process's peak since start, whatever part it was in)
  const rss = new RssWatch(pid);
  const at = memoryOf(pid);
  const memory: Record<string, { peakRssMiB: number; endRssMiB: number; hwmMiB: number }> = { start: { peakRssMiB: at.rss, endRssMiB: at.rss, hwmMiB: at.hwm } };
  const measured = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    console.log(`\n${name}`);
    const window = rss.open();
    const value = await fn();
    const peakRssMiB = window();
    const end = memoryOf(pid);
    memory[name] = { peakRssMiB, endRssMiB: end.rss, hwmMiB: end.hwm };
    return value;
  };
  const result: Record<string, unknown> = {
    when: started.toISOString(),
    command: `npm run bench -w @strata/insights -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadAverageAtStart: loadavg().map((l) => fmt(l, 2)) },
    settings: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('INDEX_'))),
  };
  let ok = false;
  try {
    const words = vocabulary(4000);
    const gen = new TextGen(words, 42);
    const rand = prng(99);
    const author = await new User(stack.gatewayUrl).register();
    if (parts.has('index')) result.index = await measured('index', () => indexPart(author, gen, rand, CORPUS, rss));
    if (parts.has('latency')) result.latency = await measured('latency', async () => (await author.login(), latencyPart(author, gen, rand, LATENCY_N)));
    if (parts.has('ocr')) result.ocr = await measured('ocr', async () => (await author.login(), ocrPart(author, gen, rand, OCR_DOCS, OCR_PAGES)));
    if (parts.has('search')) {
      const reader = await new User(stack.gatewayUrl).register();
      result.search = await measured('search', () => searchPart(reader, stack, words, rand, DOC_SIZES, QUERIES));
    }
    result.memory = { insightsPeakMiB: memoryOf(pid).hwm, byPart: memory };
    ok = true;
  } finally {
    rss.stop();
    await stack.stop();
    // a failed run keeps its logs (runDir/logs) for reading
    if (ok) rmSync(runDir, { recursive: true, force: true });
    else console.log(`logs kept in ${runDir}/logs`);
  }
  report(result);
  writeFileSync(join(OUT_DIR, 'insights.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwritten to ${join(OUT_DIR, 'insights.json')}; reproduce with: ${result.command as string}`);
}

function report(r: Record<string, unknown>) {
  console.log(`\ninsights bench, ${r.when as string} (${JSON.stringify(r.machine)}; shared machine: figures are noisy)`);
  console.log(`INDEX_* settings from the environment: ${JSON.stringify(r.settings)} (unset: the service's defaults, INDEX_CONCURRENCY=1)`);
  const index = r.index as Awaited<ReturnType<typeof indexPart>> | undefined;
  if (index) {
    console.log('\nindexing throughput (upload → read, each format on its own; INDEX_CONCURRENCY as set)');
    const row = (f: Omit<FormatRow, 'kind'>) => ({ files: f.files, failed: f.failed, found: f.found, 'OCR pages': f.ocrPages, MiB: fmt(f.mib, 2), s: fmt(f.seconds), 'docs/s': fmt(f.docsPerSecond, 2), 'MiB/s': fmt(f.mibPerSecond, 3), 'peak RSS MiB': f.peakRssMiB === undefined ? '' : fmt(f.peakRssMiB, 0) });
    console.table({ ...Object.fromEntries(index.formats.map((f) => [f.kind, row(f)])), 'all (mixed)': row(index.total) });
  }
  const latency = r.latency as LatencyRow[] | undefined;
  if (latency) {
    console.log('\nupload (201) → searchable, one upload after another (goal: p99 < 3 s for a 1 MiB PDF)');
    console.table(Object.fromEntries(latency.map((l) => [l.file, { bytes: l.bytes, n: l.n, 'p50 ms': fmt(l.p50Ms, 0), 'p99 ms': fmt(l.p99Ms, 0), 'max ms': fmt(l.maxMs, 0), 'not found': l.notFound }])));
  }
  const ocr = r.ocr as Awaited<ReturnType<typeof ocrPart>> | undefined;
  if (ocr) {
    console.log('\nOCR through the service (scanned PDFs, 200 dpi A4 pages)');
    console.table({ ocr: { docs: ocr.docs, pages: ocr.ocrPages, s: fmt(ocr.seconds), 'pages/s': fmt(ocr.pagesPerSecond, 3), 'planted words found': ocr.plantedWordsFound } });
  }
  const search = r.search as Awaited<ReturnType<typeof searchPart>> | undefined;
  for (const s of search ?? []) {
    console.log(`\nsearch with ${s.docs} documents (${s.passages} passages) of one user, through the gateway (goal: p99 < 50 ms at 100,000); filled in ${fmt(s.fillSeconds)} s`);
    console.table(Object.fromEntries(s.queries.map((q) => [q.query, { 'e.g.': q.examples[0], hits: q.hitsFirst, n: q.n, 'p50 ms': fmt(q.p50Ms), 'p99 ms': fmt(q.p99Ms), 'max ms': fmt(q.maxMs), 'SQL p99 ms': q.sql ? fmt(q.sql.p99Ms) : '', 'before search_docs p99 ms': q.sql ? fmt(q.sql.baselineP99Ms) : '', 'speed-up': q.sql ? `${q.sql.ratio}x` : '' }])));
    for (const e of s.explained) {
      console.log(`  EXPLAIN ANALYZE (${s.slowest}), ${e.statement}: ${fmt(e.executionMs)} ms execution, ${fmt(e.planningMs)} ms planning; costliest nodes (self time; a CTE Scan's includes running its CTE):`);
      for (const n of e.top) console.log(`    ${fmt(n.selfMs)} ms  ${n.node} (rows ${n.rows} × loops ${n.loops})`);
    }
    console.log(`  plans: .strata/bench/insights-explain-${s.docs}.txt`);
  }
  const memory = r.memory as { insightsPeakMiB: number; byPart: Record<string, { peakRssMiB: number; endRssMiB: number; hwmMiB: number }> } | undefined;
  if (memory) {
    console.log(`\ninsights process peak RSS (VmHWM): ${fmt(memory.insightsPeakMiB, 0)} MiB (goal: < 400 MiB)`);
    console.table(Object.fromEntries(Object.entries(memory.byPart).map(([k, v]) => [k, { 'peak VmRSS MiB': fmt(v.peakRssMiB, 0), 'VmRSS at the end': fmt(v.endRssMiB, 0), 'VmHWM after, MiB': fmt(v.hwmMiB, 0) }])));
  }
}

await main();
