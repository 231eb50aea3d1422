import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Config } from './config.js';
import type { ExportsTable } from './db/schema.js';
import type { Selectable } from 'kysely';
import { activityOf } from './projections/activity.js';
import { deleteBlob } from './purge.js';
import { type ZipMember, planZip, zipStream } from './zip.js';

export type ExportRow = Selectable<ExportsTable>;

/** The ZIP's layout: the drive under `files/` as the UI shows it (folders as folders), the trail beside it. */
export const EXPORT_FILES_DIR = 'files/';
export const EXPORT_ACTIVITY = 'activity.json';

/** Thrown to end a build with a reason the owner can read (no retry helps). */
export class ExportFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportFailed';
  }
}

/**
 * "Export everything": a ZIP of the owner's live files in their folders and their activity as
 * JSON, built in the background and stored as a blob. Each request is a row of `files.exports`;
 * whichever replica claims it (FOR UPDATE SKIP LOCKED) builds it, beating a heartbeat, so a build
 * whose process died is claimed again by another (or the same, restarted) replica and built again
 * from the start. Blobs are streamed through (yazl, then staged blocks): memory stays a few chunks.
 */
export class Exports {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private closed = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly app: FastifyInstance,
    private readonly config: Config,
  ) {}

  /** A new export for the owner, or the one already queued or being built (one at a time each). */
  async request(ownerId: string): Promise<ExportRow> {
    const now = this.app.clock.now();
    return this.app.db.transaction().execute(async (trx) => {
      // one at a time per owner: two requests at once must not both insert
      await sql`select pg_advisory_xact_lock(hashtext('files.exports'), hashtext(${ownerId}))`.execute(trx);
      const active = await trx.selectFrom('files.exports').selectAll().where('owner_id', '=', ownerId).where('status', 'in', ['queued', 'running']).executeTakeFirst();
      if (active) return active;
      const row = await trx.insertInto('files.exports').values({ id: randomUUID(), owner_id: ownerId, status: 'queued', created_at: now }).returningAll().executeTakeFirstOrThrow();
      return row;
    });
  }

  async get(ownerId: string, id: string): Promise<ExportRow | undefined> {
    return this.app.db.selectFrom('files.exports').selectAll().where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
  }

  /** Starts the builder: a look for work every EXPORT_POLL_MS, and at once after a request. */
  start(): void {
    this.schedule(0);
  }

  /** Looks for work now (after a request), unless a round is under way. */
  poke(): void {
    // EXPORT_POLL_MS 0: this replica builds none (another one's round takes the request)
    if (this.running || this.closed || this.config.EXPORT_POLL_MS === 0) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.controller.abort();
    await this.running;
  }

  private schedule(ms: number) {
    this.timer = setTimeout(() => {
      this.running = this.round()
        .catch((err: unknown) => this.app.log.warn({ err }, 'export round failed; the next one retries'))
        .finally(() => {
          this.running = undefined;
          if (!this.closed) this.schedule(this.config.EXPORT_POLL_MS);
        });
    }, ms);
  }

  /** Builds every export waiting (one after the other), then forgets expired ones. */
  async round(): Promise<number> {
    let built = 0;
    for (;;) {
      if (this.closed) return built;
      const job = await this.claim();
      if (!job) break;
      await this.build(job);
      built++;
    }
    await this.expire();
    return built;
  }

  /** The oldest export nobody builds: queued, or running with a heartbeat gone stale. */
  private async claim(): Promise<ExportRow | undefined> {
    const now = this.app.clock.now();
    const stale = new Date(now.getTime() - this.config.EXPORT_STALE_SECONDS * 1000);
    const { rows } = await sql<ExportRow>`
      update files.exports set status = 'running', heartbeat_at = ${now}, attempts = attempts + 1, done_bytes = 0, blob_name = 'exports/' || id || '-' || (attempts + 1) || '.zip'
       where id = (
         select id from files.exports
          where status = 'queued' or (status = 'running' and heartbeat_at < ${stale})
          order by created_at limit 1 for update skip locked)
      returning *`.execute(this.app.db);
    return rows[0];
  }

  private async build(job: ExportRow): Promise<void> {
    const log = this.app.log.child({ exportId: job.id, attempt: job.attempts });
    // each attempt writes a blob of its own (the claim names it) and changes the row only while the
    // claim is still its own: a builder thought dead whose export another replica claimed again
    // can neither overwrite nor delete that one's archive, nor mark its row (the orphan sweep takes
    // the stale attempt's blob, which no row names any more)
    const blobName = job.blob_name ?? `exports/${job.id}-${job.attempts}.zip`;
    const mine = () => this.app.db.updateTable('files.exports').where('id', '=', job.id).where('attempts', '=', job.attempts).where('status', '=', 'running');
    let done = 0;
    // the heartbeat from the claim on: planning a large drive must not look like a dead builder
    const beat = setInterval(() => {
      void mine()
        .set({ done_bytes: done, heartbeat_at: this.app.clock.now() })
        .execute()
        .catch((err: unknown) => log.warn({ err }, 'export progress not saved'));
    }, this.config.EXPORT_HEARTBEAT_MS);
    try {
      const members = await this.members(job.owner_id);
      const failed: { error?: unknown } = {};
      const { stream, length } = zipStream(this.app, members, (error) => {
        failed.error = error;
        stream.destroy(error instanceof Error ? error : new Error(String(error)));
      });
      const total = await length;
      await mine().set({ total_bytes: total >= 0 ? total : null }).execute();
      try {
        await this.app.blobs.getBlockBlobClient(blobName).uploadStream(stream, 4 * 1024 * 1024, 2, {
          abortSignal: this.controller.signal,
          blobHTTPHeaders: { blobContentType: 'application/zip' },
          onProgress: (p) => {
            done = p.loadedBytes;
          },
        });
      } finally {
        clearInterval(beat);
      }
      if (failed.error) throw failed.error;
      const props = await this.app.blobs.getBlockBlobClient(blobName).getProperties();
      const now = this.app.clock.now();
      const marked = await mine()
        .set({
          status: 'ready',
          blob_name: blobName,
          size: props.contentLength ?? done,
          done_bytes: props.contentLength ?? done,
          completed_at: now,
          expires_at: new Date(now.getTime() + this.config.EXPORT_TTL_HOURS * 3_600_000),
          heartbeat_at: now,
        })
        .executeTakeFirst();
      if (marked.numUpdatedRows === 0n) {
        log.warn('export built after another replica claimed it again: this attempt is dropped');
        await deleteBlob(this.app, blobName);
        return;
      }
      log.info({ size: props.contentLength }, 'export ready');
    } catch (error) {
      clearInterval(beat);
      if (this.closed) return; // shutting down: the next process claims it again
      const final = error instanceof ExportFailed || job.attempts >= this.config.EXPORT_MAX_ATTEMPTS;
      log.warn({ err: error, final }, 'export failed');
      // this attempt's own blob only
      await deleteBlob(this.app, blobName);
      await mine()
        .set(
          final
            ? {
                status: 'failed',
                error: error instanceof ExportFailed ? error.message : 'The export could not be built; ask for a new one.',
                completed_at: this.app.clock.now(),
                expires_at: new Date(this.app.clock.now().getTime() + this.config.EXPORT_TTL_HOURS * 3_600_000),
              }
            : { status: 'queued' },
        )
        .execute();
    }
  }

  /** What the archive holds: the live drive as its folders show it, and the whole activity trail. */
  private async members(ownerId: string): Promise<ZipMember[]> {
    const db = this.app.db;
    const [folders, files] = await Promise.all([
      db.selectFrom('files.folders').select('folder_id').where('owner_id', '=', ownerId).where('status', '=', 'active').where('parent_id', 'is', null).execute(),
      db.selectFrom('files.files').select('file_id').where('owner_id', '=', ownerId).where('status', '=', 'active').where('folder_id', 'is', null).execute(),
    ]);
    const items = [...folders.map((f) => ({ kind: 'folder' as const, id: f.folder_id })), ...files.map((f) => ({ kind: 'file' as const, id: f.file_id }))];
    const plan = await planZip(db, ownerId, items, this.config.ZIP_MAX_ENTRIES);
    if (plan === 'too-large') throw new ExportFailed(`An export holds at most ${this.config.ZIP_MAX_ENTRIES} files and folders.`);
    // an item trashed between the two reads: build again from a fresh read
    if (plan.missing.length > 0) throw new Error('the drive changed while the export was planned');
    if (plan.archived.length > 0) {
      throw new ExportFailed(`${plan.archived.length} file(s) are in the archive tier and cannot be read now: download each once to bring it back, then export again.`);
    }
    const activity: unknown[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await activityOf(db, ownerId, { limit: 1000, cursor });
      activity.push(...page.items);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    const now = this.app.clock.now();
    return [
      { kind: 'folder', path: EXPORT_FILES_DIR.slice(0, -1), modifiedAt: now },
      ...plan.members.map((m) => ({ ...m, path: `${EXPORT_FILES_DIR}${m.path}` })),
      { kind: 'bytes', path: EXPORT_ACTIVITY, bytes: Buffer.from(`${JSON.stringify({ ownerId, exportedAt: now.toISOString(), items: activity }, null, 2)}\n`), modifiedAt: now },
    ];
  }

  /** Ready exports past their time: blob deleted, row gone (a GET is then a 404). */
  private async expire(): Promise<void> {
    const due = await this.app.db.selectFrom('files.exports').select(['id', 'blob_name']).where('status', 'in', ['ready', 'failed']).where('expires_at', '<=', this.app.clock.now()).limit(50).execute();
    for (const row of due) {
      if (row.blob_name) await deleteBlob(this.app, row.blob_name);
      await this.app.db.deleteFrom('files.exports').where('id', '=', row.id).execute();
    }
  }
}

/** The blob names exports hold, so the orphan sweep leaves them alone. */
export async function blobsOfExports(app: FastifyInstance, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await app.db.selectFrom('files.exports').select('blob_name').where('blob_name', 'in', names).execute();
  return rows.flatMap((r) => (r.blob_name ? [r.blob_name] : []));
}
