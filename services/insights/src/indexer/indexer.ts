import type { FastifyInstance } from 'fastify';
import { type RetryPolicy, dependencyFailureOf, retryDelay } from '@strata/service-kit';
import { sql } from 'kysely';
import { Counter, Gauge, Histogram } from 'prom-client';
import { type Extraction, ExtractionFailure, createExtractionSandbox, textSearchConfig } from '../extract/index.js';
import { refreshSearchDoc } from '../projections/documents.js';
import { chunk, understand } from '../understand/index.js';
import { FetchFailure, fetchVersion } from './fetch.js';

export interface IndexerOptions {
  concurrency: number;
  pollMs: number;
  maxBytes: number;
  maxPages: number;
  timeoutMs: number;
  workerHeapMb: number;
  ocrMaxPages: number;
  maxAttempts: number;
  extractorVersion: number;
}


/** Between failed rounds (a database failing over, a sidecar away): from 100 ms up to 5 s. */
const LOOP_BACKOFF: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, maxElapsedMs: Infinity };

/** A lease longer than any document may take: a replica that died mid-document leaves it to another after this. */
const leaseMs = (o: IndexerOptions) => o.timeoutMs * 2 + 30_000;
/** 30 s, 1 min, 2 min, … at most an hour between tries of a transient failure. */
export const retryDelayMs = (attempts: number) => Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempts - 1));
/** Chars of a passage kept in its tsvector's source (Postgres caps a tsvector at 1 MiB). */
const MAX_PASSAGE_CHARS = 4_000;
/** The sentinels ts_headline marks matches with: never in stored text, so escaping cannot be fooled. */
export const MARK_START = '\u0002';
export const MARK_END = '\u0003';

/** The module the extraction worker takes OCR and previews from (vision's createOcrEngine, makePreview), as sources or compiled. */
const VISION_MODULE = new URL(`../vision/index.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;

/**
 * Reads what `insights.work` lists, a version at a time per slot: its bytes from files, the text
 * in a sandboxed worker thread (extraction, OCR), what it says (understanding), its passages for
 * search, a preview; then records the reading (DocumentIndexed, with the passages in the same
 * transaction) or the failure (DocumentIndexFailed, retried with backoff when transient).
 * Work is leased, so replicas share it and a crash only delays a document.
 */
export class Indexer {
  private readonly sandbox;
  private stopping = false;
  private readonly slots: Promise<void>[] = [];
  /** The slots asleep: a wake-up ends every one of their sleeps. */
  private readonly sleepers = new Set<() => void>();
  private readonly indexed: Counter<'outcome'>;
  private readonly seconds: Histogram<'format'>;
  private readonly backlog: Gauge;
  private readonly stale: Gauge;

  constructor(
    private readonly app: FastifyInstance,
    private readonly opts: IndexerOptions,
  ) {
    this.sandbox = createExtractionSandbox({
      limits: { maxBytes: opts.maxBytes, maxPages: opts.maxPages, timeoutMs: opts.timeoutMs, ocrMaxPages: opts.ocrMaxPages },
      maxOldGenerationSizeMb: opts.workerHeapMb,
      previewModule: VISION_MODULE,
      ...(opts.ocrMaxPages > 0 ? { ocrModule: VISION_MODULE } : {}),
    });
    const registers = [app.metrics];
    this.indexed = new Counter({ name: 'insights_documents_total', help: 'Versions read, by outcome (indexed, failed, retry).', labelNames: ['outcome'], registers });
    this.seconds = new Histogram({ name: 'insights_index_seconds', help: 'Time to read one version, fetch to commit.', labelNames: ['format'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registers });
    this.backlog = new Gauge({ name: 'insights_index_backlog', help: 'Versions waiting to be read (due now or later).', registers });
    this.stale = new Gauge({ name: 'insights_index_stale', help: 'Indexed versions read by an older extractor, left to read again.', registers });
  }

  start(): void {
    for (let i = 0; i < this.opts.concurrency; i++) this.slots.push(this.loop());
  }

  /** New work: a slot that sleeps looks at once. */
  wake(): void {
    const sleepers = [...this.sleepers];
    this.sleepers.clear();
    for (const done of sleepers) done();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await Promise.all(this.slots);
    await this.sandbox.close();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let worked = false;
      try {
        worked = await this.runOnce();
        if (failures > 0) this.app.log.info({ failures }, 'indexer: rounds succeed again');
        failures = 0;
      } catch (err) {
        // Postgres failing over, the sidecar away: back off (up to 5 s) and resume, never exit
        if (failures === 0) this.app.log.warn({ err }, 'indexer: a round failed; trying again with backoff');
        failures++;
        if (!this.stopping) await this.sleep(Math.max(this.opts.pollMs, retryDelay(LOOP_BACKOFF, failures - 1)));
        continue;
      }
      if (!worked && !this.stopping) await this.sleep(this.opts.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /** Versions read by an older extractor go back on the list, a batch at a time when the indexer is idle, the most recent first. */
  async requeueStale(batch = 20): Promise<number> {
    const now = this.app.clock.now();
    const { numInsertedOrUpdatedRows } = await this.app.db
      .insertInto('insights.work')
      .columns(['file_id', 'version', 'due_at'])
      .expression(
        this.app.db
          .selectFrom('insights.versions')
          // due at once, the most recently read first (those people are using now), a millisecond
          // apart so the lease order follows; a small batch, taken only when nothing else is due,
          // so a new upload waits behind a few re-readings at most
          .select(['file_id', 'version', sql<Date>`${now}::timestamptz - interval '1 minute' + (row_number() over (order by coalesce(indexed_at, created_at) desc, file_id, version)) * interval '1 millisecond'`.as('due_at')])
          // failures too: a newer extractor may read what an older one could not; but not a
          // reading whose re-read failed for good (it would be tried at every idle moment)
          .where((eb) => eb.or([eb.and([eb('status', '=', 'indexed'), eb('reason', 'is', null)]), eb('status', '=', 'failed')]))
          .where('extractor_version', '<', this.opts.extractorVersion)
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('insights.work as w').select('w.file_id').whereRef('w.file_id', '=', 'insights.versions.file_id').whereRef('w.version', '=', 'insights.versions.version'))),
          )
          .orderBy(sql`coalesce(indexed_at, created_at) desc`)
          .limit(batch),
      )
      .onConflict((c) => c.columns(['file_id', 'version']).doNothing())
      .executeTakeFirst();
    return Number(numInsertedOrUpdatedRows ?? 0);
  }

  /** Counts for metrics and the operator view. */
  async status() {
    const rows = await this.app.db
      .selectFrom('insights.versions')
      .select(['status', sql<number>`count(*)::int`.as('n'), sql<number>`count(*) filter (where extractor_version < ${this.opts.extractorVersion})::int`.as('stale')])
      .groupBy('status')
      .execute();
    const work = await this.app.db.selectFrom('insights.work').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    const by = Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
    const stale = rows.find((r) => r.status === 'indexed')?.stale ?? 0;
    this.backlog.set(work.n);
    this.stale.set(stale);
    return { extractorVersion: this.opts.extractorVersion, indexed: by.indexed ?? 0, pending: by.pending ?? 0, failed: by.failed ?? 0, staleIndexed: stale, backlog: work.n };
  }

  /** Leases one due version and reads it; false when nothing was due. */
  async runOnce(): Promise<boolean> {
    const now = this.app.clock.now();
    const leased = await sql<{ file_id: string; version: number }>`
      update insights.work set lease_until = ${new Date(now.getTime() + leaseMs(this.opts))}
      where (file_id, version) = (
        select w.file_id, w.version from insights.work w
        join insights.versions v on v.file_id = w.file_id and v.version = w.version
        where w.due_at <= ${now} and (w.lease_until is null or w.lease_until < ${now})
          -- during a rolling update an older indexer leaves the re-reading to the newer ones
          and (v.status = 'pending' or v.extractor_version is null or v.extractor_version < ${this.opts.extractorVersion}
               or (v.retry_at is not null and v.transient))
        order by w.due_at limit 1 for update of w skip locked)
      returning file_id, version`.execute(this.app.db);
    const job = leased.rows[0];
    if (!job) {
      // nothing new: old readings, if the extractor changed, are next
      if ((await this.requeueStale()) > 0) return true;
      return false;
    }
    await this.read(job.file_id, job.version);
    return true;
  }

  private async read(fileId: string, version: number): Promise<void> {
    const started = process.hrtime.bigint();
    const row = await this.app.db
      .selectFrom('insights.versions')
      .innerJoin('insights.documents', 'insights.documents.file_id', 'insights.versions.file_id')
      .select(['insights.versions.content_type', 'insights.versions.size', 'insights.documents.name', 'insights.documents.owner_id'])
      .where('insights.versions.file_id', '=', fileId)
      .where('insights.versions.version', '=', version)
      .executeTakeFirst();
    if (!row) {
      // purged meanwhile: its work row went with it, or goes now
      await this.app.db.deleteFrom('insights.work').where('file_id', '=', fileId).where('version', '=', version).execute();
      return;
    }
    let extraction: Extraction;
    try {
      // refused before any byte is asked for: a read stopped halfway through the sidecars would
      // cost more than it saves (daprd 1.18 crashes when an invocation's caller leaves mid-body,
      // dapr/dapr#10371)
      if (Number(row.size) > this.opts.maxBytes) throw new FetchFailure('too-large', false, `${row.size} bytes, over the limit of ${this.opts.maxBytes}`);
      const bytes = await fetchVersion(this.app, fileId, version, this.opts.maxBytes, this.opts.timeoutMs);
      extraction = await this.sandbox.run({ bytes, contentType: row.content_type, name: row.name });
    } catch (err) {
      // a lost database is not the document's failure: the lease runs out and it is read again
      if (dependencyFailureOf(err)?.dependency === 'postgres') throw err;
      await this.fail(fileId, version, err);
      return;
    }
    try {
      await this.record(fileId, version, extraction, row, started);
    } catch (err) {
      if (dependencyFailureOf(err)?.dependency === 'postgres') throw err;
      // understanding, the passages or the append: counted like any failure, so it is retried
      // with backoff and then left for the user, rather than leased again forever
      await this.fail(fileId, version, err);
    }
  }

  private async record(fileId: string, version: number, extraction: Extraction, row: { content_type: string; name: string }, started: bigint): Promise<void> {
    const reading = understand({ text: extraction.text, name: row.name, language: extraction.language, contentType: row.content_type });
    const config = textSearchConfig(extraction.language);
    const passages = chunk(extraction.passages).map((c) => ({ ...c, text: clean(c.text).slice(0, MAX_PASSAGE_CHARS) })).filter((c) => c.text.trim() !== '');
    const preview = extraction.preview ?? null;
    const v = this.opts.extractorVersion;
    await this.app.commands.handle(
      fileId,
      {
        type: 'RecordIndexed',
        data: {
          version,
          extractorVersion: v,
          format: extraction.format,
          language: extraction.language,
          pages: extraction.pages,
          ocrPages: extraction.ocrPages,
          chars: extraction.text.length,
          truncated: extraction.truncated,
          summary: reading.summary,
          keywords: reading.keywords,
          entities: reading.entities,
          tags: reading.tags,
          now: this.app.clock.now(),
        },
      },
      {
        retries: 5,
        metadata: { actor: 'app:insights-indexer' },
        // the passages and the preview commit with the event that says they are there
        after: async (trx, result) => {
          if (result.events.length === 0) return;
          await trx.deleteFrom('insights.passages').where('file_id', '=', fileId).where('version', '=', version).execute();
          for (let i = 0; i < passages.length; i += 200) {
            await trx
              .insertInto('insights.passages')
              .values(
                passages.slice(i, i + 200).map((p, j) => ({
                  file_id: fileId,
                  version,
                  idx: i + j,
                  page: p.page,
                  text: p.text,
                  config,
                  tsv: sql<string>`to_tsvector(${config}::regconfig, ${p.text})`,
                  extractor_version: v,
                })),
              )
              .execute();
          }
          await trx.deleteFrom('insights.previews').where('file_id', '=', fileId).where('version', '=', version).execute();
          if (preview) {
            await trx
              .insertInto('insights.previews')
              .values({ file_id: fileId, version, content_type: preview.contentType, width: preview.width, height: preview.height, bytes: Buffer.from(preview.bytes), extractor_version: v })
              .execute();
          }
          // search's row takes the reading's words
          await refreshSearchDoc(trx, fileId);
        },
      },
    );
    this.indexed.inc({ outcome: 'indexed' });
    this.seconds.observe({ format: extraction.format }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private async fail(fileId: string, version: number, err: unknown): Promise<void> {
    const known = err instanceof ExtractionFailure || err instanceof FetchFailure;
    const reason = known ? err.reason : 'crashed';
    const transient = known ? err.transient : true;
    const attempts = (await this.app.db.selectFrom('insights.versions').select('attempts').where('file_id', '=', fileId).where('version', '=', version).executeTakeFirst())?.attempts ?? 0;
    const retry = transient && attempts + 1 < this.opts.maxAttempts;
    const now = this.app.clock.now();
    if (!known) this.app.log.warn({ err, fileId, version }, 'indexer: an unexpected failure');
    else this.app.log.info({ fileId, version, reason, transient, detail: (err as Error).message }, 'indexer: a version could not be read');
    await this.app.commands.handle(
      fileId,
      { type: 'RecordIndexFailed', data: { version, extractorVersion: this.opts.extractorVersion, reason, transient, retryAt: retry ? new Date(now.getTime() + retryDelayMs(attempts + 1)) : null, now } },
      { retries: 5, metadata: { actor: 'app:insights-indexer' } },
    );
    this.indexed.inc({ outcome: retry ? 'retry' : 'failed' });
  }
}

/** Text as passages store it: no control characters (the match sentinels among them), no lone surrogates. */
export function clean(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex -- stripping them is the point
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
