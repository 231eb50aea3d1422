/**
 * Insights on the shared test stack, through the public gateway as a user would: files uploaded
 * by multipart are read by the insights service (from files.events, the bytes through files'
 * internal route over Dapr), then found by what they say, asked about, and kept to their owner.
 * The corpus is made here, with known words: PDFs with text, a scanned (image-only) PDF, DOCX,
 * text, a PNG of rendered text; and hostile ones (a PDF whose page tree loops, a zip bomb).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Components } from '@strata/contracts';
import type {} from '@strata/testing';
import { type Answer, Client, eventually, openEventStream } from '@strata/testing/client';
import { restartsOf } from '@strata/testing/harness';
import { kyselyFromPool } from '@strata/event-store';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../src/db/schema.js';
import { EXTRACTOR_VERSION } from '../src/version.js';
import { startInsightsInstance } from './instance.js';
import { docx, pdfWithCyclicPageTree, zip } from './extract/corpus.js';
import { imageOnlyPdf, renderTextPng, textPdf } from './support/corpus.js';

const stack = inject('stack');
/** OCR and PDF reading on a loaded two-core machine: generous, as a person would wait. */
const INDEXED_WITHIN = 90_000;

let a: Client;
let b: Client;
const ids: Record<string, string> = {};

async function insightsOf(client: Client, id: string): Promise<Answer> {
  return client.call('GET', `/api/v1/files/${id}/insights`);
}

/** Waits until the file's current version is read (indexed or failed), and returns its insights. */
async function settled(client: Client, id: string): Promise<Record<string, unknown>> {
  return eventually(
    `insights of ${id}`,
    async () => {
      const res = await insightsOf(client, id);
      return res.status === 200 && res.json.status !== 'pending' ? (res.json as Record<string, unknown>) : undefined;
    },
    INDEXED_WITHIN,
  );
}

async function upload(client: Client, key: string, name: string, bytes: Buffer | Uint8Array) {
  const res = await client.upload(name, bytes);
  expect(res.status, res.text).toBe(201);
  ids[key] = res.json.id as string;
}

const search = (client: Client, q: string, extra = '') => client.call('GET', `/api/v1/search?q=${encodeURIComponent(q)}${extra}`);

beforeAll(async () => {
  a = await Client.user(stack);
  b = await Client.user(stack);
  await upload(a, 'pdf', 'quarterly-report.pdf', await textPdf([
    ['Quarterly report of Northwind Traders Ltd', 'Revenue grew in the harbour district of Lisbon.'],
    ['The aquamarine turbine project is on schedule.', 'Invoice total EUR 12,400.00 due on 15 March 2027.'],
    ['Closing remarks by Dr Maria Jensen.'],
  ]));
  await upload(a, 'docx', 'minutes.docx', docx(['Meeting minutes of the steering committee.', 'The committee approved the saffron lighthouse renovation.']));
  await upload(a, 'txt', 'notes.txt', Buffer.from('Shopping list: cardamom pods, violet marmalade, and a brass telescope.\n'));
  await upload(a, 'png', 'whiteboard.png', renderTextPng(['THE PELICAN ORCHARD', 'opens in the spring']));
  await upload(a, 'scan', 'scan.pdf', await imageOnlyPdf([renderTextPng(['Scanned letter about the', 'copper windmill warranty'])]));
  await upload(a, 'loop', 'loop.pdf', pdfWithCyclicPageTree());
  // 64 MiB of zeros that deflate to almost nothing, inside a "document"
  await upload(a, 'bomb', 'bomb.docx', zip([{ name: '[Content_Types].xml', data: Buffer.from('<Types/>') }, { name: 'word/document.xml', data: Buffer.alloc(64 * 1024 * 1024) }]));
}, 120_000);

describe('reading documents', () => {
  it('reads text PDFs, DOCX, text, a PNG and a scanned PDF (OCR), and says what they are about', async () => {
    const pdf = await settled(a, ids.pdf!);
    expect(pdf).toMatchObject({ status: 'indexed', format: 'pdf', pages: 3, language: 'eng', extractorVersion: 1 });
    expect(pdf.summary).toEqual(expect.any(String));
    expect((pdf.entities as { text: string; kind: string }[]).map((e) => `${e.kind}:${e.text}`)).toEqual(
      expect.arrayContaining(['organisation:Northwind Traders Ltd', 'place:Lisbon']),
    );
    expect((pdf.tags as { name: string }[]).map((t) => t.name)).toContain('invoice');
    for (const key of ['docx', 'txt', 'png', 'scan']) expect(await settled(a, ids[key]!), key).toMatchObject({ status: 'indexed' });
    expect(await settled(a, ids.scan!)).toMatchObject({ format: 'pdf', ocrPages: 1 });
  });

  it('ends a looping PDF and a zip bomb as failures with a reason, and the service keeps reading', async () => {
    expect(await settled(a, ids.loop!)).toMatchObject({ status: 'failed', transient: false, reason: expect.stringMatching(/corrupt|too-many-pages|timeout/) });
    expect(await settled(a, ids.bomb!)).toMatchObject({ status: 'failed', transient: false, reason: expect.stringMatching(/zip-bomb|too-large/) });
    // over INDEX_MAX_BYTES (64 MiB): refused before a byte is read (a read abandoned halfway
    // through the sidecars crashed insights' daprd, dapr/dapr#10371)
    const sidecarRestarts = restartsOf(stack, 'insights:dapr');
    await upload(a, 'huge', 'huge.bin', Buffer.alloc(65 * 1024 * 1024, 7));
    expect(await settled(a, ids.huge!)).toMatchObject({ status: 'failed', transient: false, reason: 'too-large' });
    // the launcher restarts a crashed sidecar: that it answers is not enough, it must not have crashed
    expect(restartsOf(stack, 'insights:dapr')).toBe(sidecarRestarts);
    await upload(a, 'after', 'after.txt', Buffer.from('The indexer still reads after hostile files: zephyr quinoa.'));
    expect(await settled(a, ids.after!)).toMatchObject({ status: 'indexed' });
  });
});

describe('search', () => {
  it('finds every planted phrase, in text, office files and OCR, with marked snippets', async () => {
    for (const key of ['pdf', 'docx', 'txt', 'png', 'scan']) await settled(a, ids[key]!);
    const planted: [string, string][] = [
      ['aquamarine turbine', 'pdf'],
      ['saffron lighthouse', 'docx'],
      ['violet marmalade', 'txt'],
      ['pelican orchard', 'png'],
      ['copper windmill', 'scan'],
    ];
    for (const [phrase, key] of planted) {
      const res = await search(a, phrase);
      expect(res.status, phrase).toBe(200);
      const hit = (res.json.items as { fileId: string; snippet: string }[]).find((i) => i.fileId === ids[key]);
      expect(hit, phrase).toBeDefined();
      expect(hit!.snippet.toLowerCase(), phrase).toContain('<mark>');
    }
  });

  it('matches names by prefix, stems words, filters by type, and counts facets', async () => {
    const byName = await search(a, 'quarter');
    expect((byName.json.items as { fileId: string }[]).map((i) => i.fileId)).toContain(ids.pdf);
    const stemmed = await search(a, 'turbines');
    expect((stemmed.json.items as { fileId: string }[]).map((i) => i.fileId)).toContain(ids.pdf);
    const onlyText = await search(a, 'marmalade', '&type=pdf');
    expect(onlyText.json.items).toEqual([]);
    const either = await search(a, 'turbine or marmalade');
    expect((either.json.items as { fileId: string }[]).map((i) => i.fileId)).toEqual(expect.arrayContaining([ids.pdf, ids.txt]));
    const facets = either.json.facets as { type: { value: string; count: number }[] };
    expect(facets.type).toEqual(expect.arrayContaining([{ value: 'pdf', count: 1 }, { value: 'text', count: 1 }]));
  });

  it("never shows user B anything of A's: no hit, no insight, no preview, no citation", async () => {
    await settled(a, ids.pdf!);
    expect((await search(b, 'aquamarine turbine')).json.items).toEqual([]);
    for (const key of ['pdf', 'png', 'loop']) {
      for (const path of [`/api/v1/files/${ids[key]}/insights`, `/api/v1/files/${ids[key]}/preview`]) {
        const res = await b.call('GET', path);
        expect(res.status, path).toBe(404);
        expect(res.headers.get('content-type'), path).toContain('application/problem+json');
      }
      expect((await b.call('POST', `/api/v1/files/${ids[key]}/insights/retry`, {})).status).toBe(404);
    }
    const asked = await b.call('POST', '/api/v1/ask', { question: 'What is the status of the aquamarine turbine project?' });
    expect(asked.status).toBe(200);
    expect(asked.json.citations).toEqual([]);
    const namedFiles = await b.call('POST', '/api/v1/ask', { question: 'turbine?', fileIds: [ids.pdf] });
    expect(namedFiles.json.citations).toEqual([]);
  });

  it('drops trashed files from the results and brings them back on restore', async () => {
    await settled(a, ids.txt!);
    expect((await a.call('DELETE', `/api/v1/files/${ids.txt}`)).status).toBe(204);
    await eventually('trashed file gone from search', async () => (((await search(a, 'violet marmalade')).json.items as unknown[]).length === 0 ? true : undefined), 15_000);
    expect((await a.call('POST', `/api/v1/files/${ids.txt}/restore`)).status).toBe(200);
    await eventually('restored file back in search', async () => (((await search(a, 'violet marmalade')).json.items as unknown[]).length > 0 ? true : undefined), 15_000);
  });

  it('forgets a purged file: no hit, no insights, no preview, no passages left', async () => {
    await upload(a, 'purged', 'purge-me.txt', Buffer.from('A file to purge for good: obsidian gazebo.'));
    await settled(a, ids.purged!);
    expect((await search(a, 'obsidian gazebo')).json.items).toHaveLength(1);
    expect((await a.call('DELETE', `/api/v1/files/${ids.purged}`)).status).toBe(204);
    expect((await a.call('DELETE', `/api/v1/trash/${ids.purged}`)).status).toBe(204);
    await eventually('purged file forgotten', async () => ((await insightsOf(a, ids.purged!)).status === 404 ? true : undefined), 15_000);
    expect((await search(a, 'obsidian gazebo')).json.items).toEqual([]);
    expect((await a.call('GET', `/api/v1/files/${ids.purged}/preview`)).status).toBe(404);
    delete ids.purged;
  });

  it('refuses bad queries with a 400 problem and no token with a 401', async () => {
    for (const q of ['', '?q=', `?q=${'x'.repeat(501)}`, '?q=a&type=spaceship', '?q=a&cursor=not-a-cursor', '?q=a&from=2027-13-45', '?q=a&from=2027-02-01&to=2027-01-01', '?q=%00', '?q=a&tag=%01']) {
      const res = await a.call('GET', `/api/v1/search${q}`);
      expect(res.status, q).toBe(400);
      expect(res.headers.get('content-type'), q).toContain('application/problem+json');
    }
    expect((await fetch(`${stack.gatewayUrl}/api/v1/search?q=turbine`)).status).toBe(401);
    // found by the fuzz: a NUL reached Postgres, which refuses it (a 500)
    expect((await a.call('POST', '/api/v1/ask', { question: 'a\u0000b' })).status).toBe(400);
    expect((await a.call('POST', '/api/v1/ask', { question: 'what?', compare: { fileId: ids.pdf, from: 1, to: 3_000_000_000 } })).status).toBe(400);
    expect((await a.call('PUT', `/api/v1/files/${ids.pdf}/insights/tags/a%00b`, { accepted: true })).status).toBe(400);
  });
});

describe('ask', () => {
  it('answers from the best passages, labelled extractive, citing the file, version and passage', async () => {
    await settled(a, ids.pdf!);
    const res = await a.call('POST', '/api/v1/ask', { question: 'Which project is on schedule?' });
    expect(res.status).toBe(200);
    expect(res.json.mode).toBe('extractive');
    expect(res.json.answer).toMatch(/extractive/i);
    expect(res.json.citations).toEqual(expect.arrayContaining([expect.objectContaining({ fileId: ids.pdf, version: 1, passage: expect.stringContaining('aquamarine turbine') })]));
  });

  it('answers through the Conversation API when a model is configured, citing the passages it was given', async () => {
    await settled(a, ids.pdf!);
    // dapr/components/llm.yaml: locally Dapr's echo component, which answers with the prompt
    const withModel = await startInsightsInstance(stack, { CONVERSATION_COMPONENT: Components.conversation });
    try {
      // its own port, as its sidecar would call it (the app token), with A's and then B's token
      const direct = (token: string | undefined) => new Client(withModel.url, undefined, { 'dapr-api-token': stack.appApiToken, authorization: `Bearer ${token!}` });
      const res = await direct(a.accessToken).call('POST', '/api/v1/ask', { question: 'Which project is on schedule?' });
      expect(res.status, res.text).toBe(200);
      expect(res.json.mode).toBe('model');
      // the echo shows what the model was given: the question and the numbered passages, A's own
      expect(res.json.answer).toContain('Question: Which project is on schedule?');
      expect(res.json.answer).toContain('aquamarine turbine');
      expect(res.json.citations).toEqual(expect.arrayContaining([expect.objectContaining({ fileId: ids.pdf, version: 1 })]));
      const other = await direct(b.accessToken).call('POST', '/api/v1/ask', { question: 'Which project is on schedule?' });
      expect(other.json.citations).toEqual([]);
      expect(JSON.stringify(other.json)).not.toContain('aquamarine');
    } finally {
      await withModel.close();
    }
  });

  it('compares two versions of a file', async () => {
    await upload(a, 'versioned', 'plan.txt', Buffer.from('The plan has three phases. Phase one builds the bridge.'));
    await settled(a, ids.versioned!);
    const v2 = await a.upload('plan.txt', Buffer.from('The plan has three phases. Phase one builds the tunnel.'), { method: 'PUT', path: `/api/v1/files/${ids.versioned}/content` });
    expect(v2.status, v2.text).toBe(200);
    await eventually('version 2 indexed', async () => ((await insightsOf(a, ids.versioned!)).json.version === 2 ? true : undefined), 30_000);
    await settled(a, ids.versioned!);
    const res = await a.call('POST', '/api/v1/ask', { question: 'What changed?', compare: { fileId: ids.versioned, from: 1, to: 2 } });
    expect(res.status, res.text).toBe(200);
    const changes = res.json.changes as { added: string[]; removed: string[] };
    expect(changes.added.join(' ')).toContain('tunnel');
    expect(changes.removed.join(' ')).toContain('bridge');
  });
});

describe('live updates and retries', () => {
  it('streams DocumentIndexed to the owner; a retry of a failed file reads it again', async () => {
    const token = a.accessToken!;
    const stream = await openEventStream(stack.gatewayUrl, token);
    await upload(a, 'live', 'live.txt', Buffer.from('A file to watch being indexed: tangerine harpsichord.'));
    const seen = await eventually('DocumentIndexed on the stream', async () => stream.events.find((e) => e.event === 'DocumentIndexed' && e.data.includes(ids.live!)), INDEXED_WITHIN);
    expect(JSON.parse(seen.data)).toMatchObject({ type: 'DocumentIndexed', data: { fileId: ids.live, version: 1 } });
    expect(seen.data).not.toContain('tangerine');

    await settled(a, ids.loop!);
    const failures = () => stream.events.filter((e) => e.event === 'DocumentIndexFailed' && e.data.includes(ids.loop!)).length;
    const before = failures();
    const retry = await a.call('POST', `/api/v1/files/${ids.loop}/insights/retry`, {});
    expect(retry.status, retry.text).toBe(202);
    expect(retry.json).toMatchObject({ fileId: ids.loop, version: 1, status: 'pending' });
    // read again (the indexer may be done before the next request could look): a second failure is published
    await eventually('the retry read and failed again', async () => (failures() > before ? true : undefined), INDEXED_WITHIN);
    expect(await settled(a, ids.loop!)).toMatchObject({ status: 'failed', attempts: 1 });
    await stream.close();
  });

  it('lets the owner accept or reject a suggested tag', async () => {
    const pdf = await settled(a, ids.pdf!);
    const name = (pdf.tags as { name: string }[])[0]!.name;
    const res = await a.call('PUT', `/api/v1/files/${ids.pdf}/insights/tags/${encodeURIComponent(name)}`, { accepted: false });
    expect(res.status, res.text).toBe(200);
    expect((res.json.tags as { name: string; accepted: boolean | null }[]).find((t) => t.name === name)?.accepted).toBe(false);
    expect((await a.call('PUT', `/api/v1/files/${ids.pdf}/insights/tags/no-such-tag`, { accepted: true })).status).toBe(404);
    expect((await a.call('PUT', `/api/v1/files/${ids.pdf}/insights/tags/${name}`, { accepted: 'yes' })).status).toBe(400);
  });

  it('serves a preview of an image and of a PDF', async () => {
    for (const key of ['png', 'pdf']) {
      const info = await settled(a, ids[key]!);
      expect(info.preview, key).toEqual(`/api/v1/files/${ids[key]}/preview`);
      const res = await a.call('GET', info.preview as string);
      expect(res.status, key).toBe(200);
      expect(res.headers.get('content-type'), key).toMatch(/^image\/(webp|png)/);
    }
  });
});

describe('the index from the log', () => {
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2, application_name: 'insights-test' });
  const db = kyselyFromPool(pool) as Kysely<Database>;
  afterAll(async () => db.destroy());

  /** A's rows of every read model, in a stable order (what a rebuild must give back). */
  async function snapshot(owner: string[]) {
    return {
      documents: await db.selectFrom('insights.documents').selectAll().where('file_id', 'in', owner).orderBy('file_id').execute(),
      versions: await db.selectFrom('insights.versions').selectAll().where('file_id', 'in', owner).orderBy('file_id').orderBy('version').execute(),
      tags: await db.selectFrom('insights.tags').selectAll().where('file_id', 'in', owner).orderBy('file_id').orderBy('name').execute(),
      searchDocs: await db.selectFrom('insights.search_docs').selectAll().where('file_id', 'in', owner).orderBy('file_id').execute(),
      // a lease is the indexer's, not the log's: a rebuild frees it
      work: await db.selectFrom('insights.work').select(['file_id', 'version', 'due_at']).where('file_id', 'in', owner).orderBy('file_id').orderBy('version').execute(),
    };
  }

  it('rebuilt by the operator command, equals the live read models; search answers the same', async () => {
    for (const key of Object.keys(ids)) await settled(a, ids[key]!);
    const owned = Object.values(ids);
    const before = await snapshot(owned);
    const hitsBefore = (await search(a, 'aquamarine turbine')).json.items;
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--conditions=development', '--import', 'tsx', fileURLToPath(new URL('../src/db/rebuild.ts', import.meta.url))],
        { env: { ...process.env, DATABASE_URL: stack.databaseUrl }, timeout: 60_000 },
        (err, stdout, stderr) => (err && typeof err.code !== 'number' ? reject(err) : resolve({ code: err ? (err.code as number) : 0, stdout, stderr })),
      );
    });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^documents: rebuilt from \d+ events in \d+ ms$/m);
    expect(await snapshot(owned)).toEqual(before);
    expect((await search(a, 'aquamarine turbine')).json.items).toEqual(hitsBefore);
  });

  it('reads every document again when the extractor version is raised, in the background, while search keeps answering', async () => {
    for (const key of Object.keys(ids)) await settled(a, ids[key]!);
    const next = EXTRACTOR_VERSION + 1;
    // a newer release beside the running one (a rolling update): the older leaves re-reading to it
    const newer = await startInsightsInstance(stack, { INDEX_EXTRACTOR_VERSION: String(next) });
    try {
      const before = await newer.app.indexer.status();
      expect(before.extractorVersion).toBe(next);
      expect(before.staleIndexed).toBeGreaterThanOrEqual(Object.keys(ids).length - 2);
      const mine = () => db.selectFrom('insights.versions').select(['file_id', 'version', 'extractor_version', 'status']).where('file_id', 'in', Object.values(ids)).execute();
      // every file of the stack's database is read again (other tests' too), A's among them
      const deadline = Date.now() + 150_000;
      let searchedMidway = false;
      const pending = async () => (await mine()).some((v) => v.extractor_version !== next);
      while (Date.now() < deadline && (await pending()) && (await newer.app.indexer.runOnce())) {
        if (!searchedMidway) {
          // some documents re-read, the others not yet: search answers throughout
          expect((await search(a, 'aquamarine turbine')).json.items).toHaveLength(1);
          searchedMidway = true;
        }
      }
      const versions = await mine();
      expect(versions.filter((v) => v.extractor_version !== next), JSON.stringify(versions)).toEqual([]);
      // progress, as the operator view shows it: what is left is other users' (the most recent went first)
      expect((await newer.app.indexer.status()).staleIndexed).toBeLessThanOrEqual(before.staleIndexed - Object.keys(ids).length + 2);
      expect((await search(a, 'aquamarine turbine')).json.items).toHaveLength(1);
      expect(await settled(a, ids.pdf!)).toMatchObject({ status: 'indexed', extractorVersion: next });
    } finally {
      await newer.close();
    }
  });
});

describe("insights' own listeners", () => {
  it("serve the operator view on the internal port only, and the channel to the sidecar only", async () => {
    const ports = stack.apps.insights!;
    const ops = await fetch(`http://127.0.0.1:${ports.internalPort}/health/index`);
    expect(ops.status).toBe(200);
    expect(await ops.json()).toMatchObject({ extractorVersion: expect.any(Number), backlog: expect.any(Number) });
    // the main port is the Dapr app channel: no operator view there, and nothing without the sidecar's token
    expect((await fetch(`http://127.0.0.1:${ports.appPort}/health/index`, { headers: { 'dapr-api-token': stack.appApiToken } })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${ports.appPort}/dapr/subscribe`)).status).toBe(401);
  });
});
