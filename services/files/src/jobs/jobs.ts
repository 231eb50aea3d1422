import { ConcurrencyError } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Tier } from '../domain/file/file.js';
import { FileNotFoundError } from '../domain/file/decide.js';
import { deleteBlob, purgeFile } from '../purge.js';
import { blobsOfExports } from '../exports.js';
import { deleteVersionsBy, retentionDue } from '../retention.js';
import { checkRehydration } from '../rehydration.js';
import { discard } from '../upload/ingest.js';
import { folderOperationsOf } from '../folder-operations.js';
import { blobsOfOpenUploads, expiredUploads, forgetUpload } from '../upload/uploads.js';

const DAY_MS = 86_400_000;
const SYSTEM = { actor: 'system' };
const BATCH = 200;

/** The tier a file belongs in after `ageDays` without change. */
export function tierFor(ageDays: number, config: Pick<Config, 'TIER_COOL_AFTER_DAYS' | 'TIER_ARCHIVE_AFTER_DAYS'>): Tier {
  if (ageDays >= config.TIER_ARCHIVE_AFTER_DAYS) return 'Archive';
  if (ageDays >= config.TIER_COOL_AFTER_DAYS) return 'Cool';
  return 'Hot';
}

export interface JobReport {
  purged: number;
  tiered: number;
  rehydrated: number;
  expired: number;
  orphans: number;
  abandonedUploads: number;
  /** Versions the owners' retention policies let go. */
  versionsDeleted: number;
  /** Folder trashes and restores whose process died mid-way, carried on to their end. */
  folderOperations: number;
}

/**
 * The scheduled jobs. Each reads its work from the read models, acts through commands (so every
 * change is an event) and is safe to run again after a crash half-way.
 */
export class Jobs {
  constructor(
    private readonly app: FastifyInstance,
    private readonly config: Config,
  ) {}

  /** Trashed files older than the retention are purged, their blobs deleted through the Dapr binding. */
  async purgeTrash(signal?: AbortSignal): Promise<number> {
    const cutoff = new Date(this.app.clock.now().getTime() - this.config.TRASH_RETENTION_DAYS * DAY_MS);
    let purged = 0;
    for (;;) {
      const due = await this.app.db
        .selectFrom('files.files')
        .select(['file_id', 'owner_id'])
        .where('status', '=', 'trashed')
        .where('trashed_at', '<=', cutoff)
        .orderBy('trashed_at')
        .limit(BATCH)
        .execute();
      for (const file of due) {
        signal?.throwIfAborted();
        await purgeFile(this.app, file.file_id, file.owner_id, 'retention', SYSTEM);
        purged++;
      }
      if (due.length < BATCH) return purged;
    }
  }

  /**
   * Each owner's retention policy: the versions it lets go (never the current one, never a named
   * one) are deleted through ApplyRetention, then the blobs no version holds any more.
   */
  async applyRetention(signal?: AbortSignal): Promise<number> {
    let deleted = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const due = await retentionDue(this.app.db, this.app.clock.now(), after, BATCH);
      for (const file of due) {
        signal?.throwIfAborted();
        const policy = { keepLast: file.keep_last, keepDays: file.keep_days };
        try {
          // decided again on the stream as it is then: a user's change in between is simply retried
          const command = { type: 'ApplyRetention', data: { ownerId: file.owner_id, policy, now: this.app.clock.now() } } as const;
          deleted += await deleteVersionsBy(this.app, file.file_id, command, SYSTEM, { retries: 3 });
        } catch (error) {
          // trashed or purged since it was read: nothing to keep tidy; still changing under every
          // retry: the next round finds it again, and the other files are not held up by it
          if (error instanceof ConcurrencyError) this.app.log.warn({ fileId: file.file_id }, 'retention: the file kept changing; left for the next round');
          else if (!(error instanceof FileNotFoundError)) throw error;
        }
      }
      if (due.length < BATCH) return deleted;
      after = due.at(-1)!.file_id;
    }
  }

  /** Moves files to the tier their age asks for: the blobs first, then FileTierChanged (a crash between is retried). */
  async applyTiers(signal?: AbortSignal): Promise<number> {
    const now = this.app.clock.now().getTime();
    const cool = new Date(now - this.config.TIER_COOL_AFTER_DAYS * DAY_MS);
    const archive = new Date(now - this.config.TIER_ARCHIVE_AFTER_DAYS * DAY_MS);
    let changed = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const due = await this.app.db
        .selectFrom('files.files')
        .select(['file_id', 'owner_id', 'tier'])
        // a file is as old as its last change or its last rehydration (someone read it then)
        .select(sql<Date>`greatest(updated_at, rehydrated_at)`.as('since'))
        .where('file_id', '>', after)
        .where((eb) => {
          const since = sql<Date>`greatest(updated_at, rehydrated_at)`;
          return eb.or([eb.and([eb(since, '<=', cool), eb('tier', '=', 'Hot')]), eb.and([eb(since, '<=', archive), eb('tier', '!=', 'Archive')])]);
        })
        .orderBy('file_id')
        .limit(BATCH)
        .execute();
      for (const file of due) {
        signal?.throwIfAborted();
        const to = tierFor((now - file.since.getTime()) / DAY_MS, this.config);
        if (to === file.tier) continue;
        // an archived blob is never warmed here: that is a rehydration, which a download asks for
        let versions = this.app.db.selectFrom('files.versions').select('blob_name').where('file_id', '=', file.file_id);
        if (to !== 'Archive') versions = versions.where('tier', '!=', 'Archive');
        for (const v of await versions.execute()) await this.app.blobs.getBlockBlobClient(v.blob_name).setAccessTier(to);
        try {
          await this.app.commands.handle(file.file_id, { type: 'ChangeTier', data: { ownerId: file.owner_id, to, now: this.app.clock.now() } }, { metadata: SYSTEM });
          changed++;
        } catch (error) {
          if (!(error instanceof FileNotFoundError)) throw error;
        }
      }
      if (due.length < BATCH) return changed;
      after = due.at(-1)!.file_id;
    }
  }

  /** Pending rehydrations: each file's archived blobs read back; FileRehydrated once they all are hot. */
  async watchRehydrations(signal?: AbortSignal): Promise<number> {
    let rehydrated = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const due = await this.app.db
        .selectFrom('files.files')
        .select(['file_id', 'owner_id'])
        .where('rehydrating_since', 'is not', null)
        .where('file_id', '>', after)
        .orderBy('file_id')
        .limit(BATCH)
        .execute();
      for (const file of due) {
        signal?.throwIfAborted();
        if (await checkRehydration(this.app, file.file_id, file.owner_id, SYSTEM)) rehydrated++;
      }
      if (due.length < BATCH) return rehydrated;
      after = due.at(-1)!.file_id;
    }
  }

  /** Optional life-cycle deletion: files unchanged for LIFECYCLE_DELETE_AFTER_DAYS go to the trash. */
  async expireFiles(signal?: AbortSignal): Promise<number> {
    if (this.config.LIFECYCLE_DELETE_AFTER_DAYS === 0) return 0;
    const cutoff = new Date(this.app.clock.now().getTime() - this.config.LIFECYCLE_DELETE_AFTER_DAYS * DAY_MS);
    const due = await this.app.db.selectFrom('files.files').select(['file_id', 'owner_id']).where('status', '=', 'active').where('updated_at', '<=', cutoff).limit(1000).execute();
    for (const file of due) {
      signal?.throwIfAborted();
      await this.app.commands.handle(file.file_id, { type: 'TrashFile', data: { ownerId: file.owner_id, now: this.app.clock.now() } }, { metadata: SYSTEM });
    }
    return due.length;
  }

  /**
   * Blobs that no version and no open resumable upload names, older than the grace period: left by
   * a crash between the blob write and the event append, or by a blob delete that failed (of a
   * purge, or of an upload that failed). Deleted.
   */
  async sweepOrphans(signal?: AbortSignal): Promise<number> {
    const cutoff = this.app.clock.now().getTime() - this.config.ORPHAN_GRACE_MINUTES * 60_000;
    let deleted = 0;
    const check = async (names: string[]) => {
      if (names.length === 0) return;
      const [versions, uploads, exports] = await Promise.all([
        this.app.db.selectFrom('files.versions').select('blob_name').where('blob_name', 'in', names).execute(),
        blobsOfOpenUploads(this.app.db, names),
        blobsOfExports(this.app, names),
      ]);
      const known = new Set([...versions.map((r) => r.blob_name), ...uploads, ...exports]);
      for (const name of names) {
        signal?.throwIfAborted();
        if (known.has(name)) continue;
        this.app.log.warn({ blobName: name }, 'orphan blob: deleting');
        await deleteBlob(this.app, name);
        // a blob with only staged blocks is not found by the binding: drop its blocks directly
        await discard(this.app.blobs.getBlockBlobClient(name));
        deleted++;
      }
    };
    let batch: string[] = [];
    for await (const blob of this.app.blobs.listBlobsFlat({ includeUncommitedBlobs: true })) {
      const modified = blob.properties.lastModified?.getTime() ?? 0;
      if (modified > cutoff) continue;
      batch.push(blob.name);
      if (batch.length >= BATCH) {
        await check(batch);
        batch = [];
      }
    }
    await check(batch);
    return deleted;
  }

  /** Resumable uploads past their expiry (failed ones too): staged blocks dropped, the upload forgotten. */
  async expireUploads(signal?: AbortSignal): Promise<number> {
    const due = await expiredUploads(this.app.db, this.app.clock.now(), 1000);
    for (const upload of due) {
      signal?.throwIfAborted();
      await discard(this.app.blobs.getBlockBlobClient(upload.blob_name));
      await forgetUpload(this.app.db, upload.upload_id);
    }
    return due.length;
  }

  /**
   * Every job once, under a Postgres advisory lock: one replica at a time; the others skip this
   * round. The lock is a session's: if that session is lost (a failover, pg_terminate_backend),
   * the lock is gone and another replica may take it, so the round ends there (JobsLockLostError,
   * checked before each item of work) instead of running on beside the other replica's.
   */
  async runAll(): Promise<JobReport | 'locked'> {
    // a session lock: on a connection of the direct pool, past the pooler, where the session is ours
    const client = await this.app.pgDirect.connect();
    const lost = new AbortController();
    const onLost = (error?: unknown) => {
      if (!lost.signal.aborted) lost.abort(new JobsLockLostError(error));
    };
    const onEnd = () => onLost();
    client.on('error', onLost);
    client.on('end', onEnd);
    try {
      const { rows } = await client.query<{ locked: boolean }>(`select pg_try_advisory_lock(hashtext('strata.files.jobs')) as locked`);
      if (!rows[0]?.locked) return 'locked';
      const { signal } = lost;
      try {
        const step = async (job: (signal: AbortSignal) => Promise<number>) => {
          signal.throwIfAborted();
          const n = await job(signal);
          signal.throwIfAborted();
          return n;
        };
        const report: JobReport = {
          // first: a folder half trashed or half restored is finished before anything is purged or tiered
          folderOperations: await step((s) => folderOperationsOf(this.app, this.config).resumeStale(s)),
          purged: await step((s) => this.purgeTrash(s)),
          versionsDeleted: await step((s) => this.applyRetention(s)),
          expired: await step((s) => this.expireFiles(s)),
          rehydrated: await step((s) => this.watchRehydrations(s)),
          tiered: await step((s) => this.applyTiers(s)),
          abandonedUploads: await step((s) => this.expireUploads(s)),
          orphans: await step((s) => this.sweepOrphans(s)),
        };
        return report;
      } catch (error) {
        // whatever failed after the session went (a job's own error included), the cause is the lost lock
        if (signal.aborted) throw signal.reason;
        throw error;
      } finally {
        // a lost session took its lock with it
        if (!signal.aborted) await client.query(`select pg_advisory_unlock(hashtext('strata.files.jobs'))`);
      }
    } finally {
      client.off('error', onLost);
      client.off('end', onEnd);
      // a client whose connection was lost is dropped, not given back to the pool
      client.release(lost.signal.aborted ? (lost.signal.reason as Error) : undefined);
    }
  }
}

/** The connection holding the jobs' advisory lock was lost mid-round: the round stopped. */
export class JobsLockLostError extends Error {
  constructor(cause?: unknown) {
    super('the connection holding the jobs lock was lost: the round stopped', { cause });
    this.name = 'JobsLockLostError';
  }
}
