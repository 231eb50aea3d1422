import type {} from '@strata/testing';
import { BlobServiceClient } from '@azure/storage-blob';
import { BLOB_CONTAINER } from '@strata/contracts';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { type JobReport, JobsLockLostError } from '../src/jobs/jobs.js';
import { FakeClock, type startFilesInstance as Start, startFilesInstance } from './instance.js';
import { Client, eventually } from './support.js';

const stack = inject('stack');
const container = BlobServiceClient.fromConnectionString(stack.blobConnectionString).getContainerClient(BLOB_CONTAINER);
const DAY = 86_400_000;

async function blobsUnder(prefix: string) {
  const out: { name: string; tier: string | undefined }[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) out.push({ name: blob.name, tier: blob.properties.accessTier });
  return out;
}

describe('scheduled jobs, driven by a fake clock', () => {
  const clock = new FakeClock();
  let instance: Awaited<ReturnType<typeof Start>>;
  let user: Client;
  // another replica may hold the jobs' lock for a moment: run again until this one gets it
  const runJobs = () => eventually<JobReport>('the jobs lock', async () => {
    const report = await instance.app.jobs.runAll();
    return report === 'locked' ? undefined : report;
  });

  beforeAll(async () => {
    instance = await startFilesInstance(stack, { TRASH_RETENTION_DAYS: '7', ORPHAN_GRACE_MINUTES: '60' }, clock);
    const viaGateway = await Client.user(stack);
    user = new Client(instance.url);
    user.accessToken = viaGateway.accessToken;
    user.userId = viaGateway.userId;
  });
  afterAll(async () => instance?.close());

  it('purges the trash after the retention period, deleting the blobs', async () => {
    clock.set(new Date());
    const id = (await user.upload('old.txt', Buffer.from('old'))).json.id as string;
    expect((await user.call('DELETE', `/api/v1/files/${id}`)).status).toBe(204);
    expect(await blobsUnder(`${user.userId}/${id}/`)).toHaveLength(1);

    clock.advance(6 * DAY);
    await runJobs();
    expect((await user.call('GET', '/api/v1/trash')).json.items).toMatchObject([{ id }]);

    clock.advance(1 * DAY + 1000);
    await runJobs();
    expect((await user.call('GET', '/api/v1/trash')).json.items).toEqual([]);
    expect(await blobsUnder(`${user.userId}/${id}/`)).toEqual([]);
    const activity = await user.call('GET', '/api/v1/activity?limit=1');
    expect(activity.json.items).toMatchObject([{ type: 'FilePurged', actor: 'system', fileId: id, details: { reason: 'retention' } }]);
  });

  it('moves files to cool after 31 days and archive after 91, on the blob and as an event', async () => {
    clock.set(new Date());
    const id = (await user.upload('aging.txt', Buffer.from('aging'))).json.id as string;
    clock.advance(30 * DAY);
    await runJobs();
    expect((await user.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ tier: 'Hot' });

    clock.advance(1 * DAY + 1000);
    await runJobs();
    expect((await user.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ tier: 'Cool' });
    expect((await blobsUnder(`${user.userId}/${id}/`)).map((b) => b.tier)).toEqual(['Cool']);

    clock.advance(60 * DAY);
    await runJobs();
    expect((await user.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ tier: 'Archive' });
    expect((await blobsUnder(`${user.userId}/${id}/`)).map((b) => b.tier)).toEqual(['Archive']);
    const activity = await user.call('GET', '/api/v1/activity?limit=2');
    expect(activity.json.items).toMatchObject([
      { type: 'FileTierChanged', actor: 'system', details: { from: 'Cool', to: 'Archive' } },
      { type: 'FileTierChanged', actor: 'system', details: { from: 'Hot', to: 'Cool' } },
    ]);
  });

  it('deletes blobs that no committed event names, once they are older than the grace period', async () => {
    clock.set(new Date());
    const kept = (await user.upload('kept.txt', Buffer.from('kept'))).json.id as string;
    // what a crash between the blob write and the append leaves behind
    const orphan = `${user.userId}/${randomUUID()}/${randomUUID()}`;
    await container.getBlockBlobClient(orphan).upload('orphan', 6);
    const staged = `${user.userId}/${randomUUID()}/${randomUUID()}`;
    await container.getBlockBlobClient(staged).stageBlock(Buffer.from('0000000000000000').toString('base64'), 'x', 1);

    await runJobs();
    expect((await blobsUnder(`${user.userId}/`)).map((b) => b.name)).toContain(orphan);

    clock.advance(61 * 60_000);
    await runJobs();
    const left = (await blobsUnder(`${user.userId}/`)).map((b) => b.name);
    expect(left).not.toContain(orphan);
    expect(left.some((n) => n.startsWith(`${user.userId}/${kept}/`))).toBe(true);
    const uncommitted: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix: `${user.userId}/`, includeUncommitedBlobs: true })) uncommitted.push(b.name);
    expect(uncommitted).not.toContain(staged);
    expect((await user.call('GET', `/api/v1/files/${kept}/content`)).text).toBe('kept');
  });

  it('stops the round when the session holding the jobs lock is lost, so that no other replica runs beside it', async () => {
    const admin = new pg.Client({ connectionString: stack.databaseUrl, application_name: 'files-jobs-test-admin' });
    await admin.connect();
    const jobs = instance.app.jobs;
    const purgeTrash = jobs.purgeTrash.bind(jobs);
    const sweepOrphans = jobs.sweepOrphans.bind(jobs);
    let swept = 0;
    try {
      // while the first job runs, the lock's session ends, as in a failover: the lock is free for
      // another replica from then on
      jobs.purgeTrash = async (signal?: AbortSignal) => {
        // pg_locks is the whole server's: other stacks' files (other databases) hold the same lock
        const holder = `select l.pid from pg_locks l where l.locktype = 'advisory' and l.granted and l.objsubid = 1
          and l.database = (select oid from pg_database where datname = current_database())
          and l.objid::text::bigint = (hashtext('strata.files.jobs')::bigint & 4294967295)`;
        const { rows } = await admin.query<{ pid: number }>(holder);
        expect(rows).toHaveLength(1);
        await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        await eventually('the lock freed', async () => ((await admin.query(holder)).rows.length === 0 ? true : undefined));
        await new Promise((resolve) => setTimeout(resolve, 200));
        return purgeTrash(signal);
      };
      jobs.sweepOrphans = async (signal?: AbortSignal) => {
        swept++;
        return sweepOrphans(signal);
      };
      await expect(eventually('the jobs lock', async () => {
        try {
          return (await jobs.runAll()) === 'locked' ? undefined : 'finished';
        } catch (error) {
          return error;
        }
      })).resolves.toBeInstanceOf(JobsLockLostError);
      expect(swept).toBe(0);
    } finally {
      jobs.purgeTrash = purgeTrash;
      jobs.sweepOrphans = sweepOrphans;
      await admin.end();
    }
    // the next round takes the lock again and runs every job
    expect(await runJobs()).toMatchObject({ purged: expect.any(Number), orphans: expect.any(Number) });
  });
});
