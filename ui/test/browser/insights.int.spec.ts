import type {} from '@strata/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { SCREENSHOTS, accessibilityProblems, useBrowser } from './browser.js';

const { gatewayUrl } = inject('stack');

/**
 * Console and page errors, but for the 404 of a file's insights: insights learns of a file from
 * the files service's event a moment after the upload and answers 404 until then (the panel says
 * "Reading…"), and Chromium logs every 4xx answer to fetch as a console error.
 */
function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (/status of 404/.test(message.text()) && /\/api\/v1\/files\/[^/]+\/insights(\?|$)/.test(message.location().url)) return;
    errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

async function signUp(page: Page, email: string, password: string) {
  await page.goto(`${gatewayUrl}/signup`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/files');
}

/** A memo with a phrase no other document has, long enough for a summary, keywords and tags. */
const PLANTED = [
  'Harbour survey memo.',
  'The lighthouse keepers of Halvorsen Point met on Tuesday to review the winter survey of the harbour.',
  'They agreed that the cobalt pelican protocol will guide every night inspection of the breakwater from January.',
  'Under the cobalt pelican protocol two keepers walk the breakwater together and log each lamp in the survey book.',
  'The harbour master asked for the survey book to be sent to the harbour office every Friday.',
  'Repairs to the north lamp are planned for March, when the harbour is calm.',
].join('\n');

/**
 * A document with markup in it: the page shows those characters and runs nothing. Postgres's
 * ts_headline drops well-formed tags from a snippet (so the <script> reaches the panel's summary,
 * not the snippet); the unclosed <img> it keeps.
 */
const HOSTILE = 'Marmalade budget notes.\nThe marmalade budget for the fair is <script>window.__strataPwned = 1</script> forty pounds.\nMarmalade jars <img src=x onerror=window.__strataPwned=2// are counted on Saturday.\n';

const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

describe('search, the file panel and ask in a real browser', () => {
  const { browser } = useBrowser();

  // a service that tried the sessions service's keys before it was up answers 503 for a few
  // seconds (it reloads them at most every 5 s): the journey starts once files and insights take tokens
  beforeAll(async () => {
    // as a client would: a 503 (a service still starting, or one the previous test file had
    // restarted) is sent again after its Retry-After; any other answer is final, and its body is
    // in the failure's message
    const post = async (path: string, body: unknown): Promise<Response> => {
      for (const deadline = Date.now() + 60_000; ; ) {
        const res = await fetch(`${gatewayUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (res.status !== 503 || Date.now() > deadline) return res;
        console.warn(`${path}: 503 ${await res.text()}; retried`);
        await new Promise((r) => setTimeout(r, 1000 * Math.min(5, Number(res.headers.get('retry-after')) || 1)));
      }
    };
    const email = `warm-up-${randomUUID()}@example.test`;
    const password = 'a search through strata';
    const registered = await post('/api/v1/auth/register', { email, password, displayName: 'Warm up' });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const login = await post('/api/v1/auth/login', { email, password });
    expect(login.status, await login.clone().text()).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    await vi.waitFor(
      async () => {
        for (const path of ['/api/v1/files', '/api/v1/search?q=warm']) {
          const res = await fetch(`${gatewayUrl}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
          if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        }
      },
      { timeout: 60_000, interval: 1000 },
    );
  });

  it('finds a planted phrase in a file’s contents, opens its panel (indexed, live), accepts a tag, asks a question whose citation opens the file, retries a file that cannot be read, and compares two versions', { timeout: 240_000 }, async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signUp(page, `insights-${randomUUID()}@example.test`, 'a search through strata');

    await page.getByTestId('file-input').setInputFiles([
      { name: 'harbour-memo.txt', mimeType: 'text/plain', buffer: Buffer.from(PLANTED) },
      { name: 'marmalade.txt', mimeType: 'text/plain', buffer: Buffer.from(HOSTILE) },
      // a PDF that is not one: it cannot be read, and the panel says so
      { name: 'broken.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(4096)]) },
    ]);
    await expect.poll(() => page.locator('[data-testid="upload-row"][data-state="done"]').count(), { timeout: 30_000 }).toBe(3);

    // the panel, opened while Strata reads the file, says "Indexed" when the live event comes
    await page.getByRole('link', { name: 'Details of harbour-memo.txt' }).click();
    await page.waitForURL('**/files/*');
    const memoUrl = page.url();
    await expect.poll(() => page.getByTestId('panel-name').textContent()).toBe('harbour-memo.txt');
    const status = page.getByTestId('insights-status');
    await expect.poll(() => status.getAttribute('data-status')).not.toBe('loading');
    expect(['pending', 'indexed']).toContain(await status.getAttribute('data-status'));
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 90_000 }).toBe('indexed');
    expect(await status.textContent()).toContain('Indexed');

    // search the contents from the files page: the hit with the phrase marked
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.waitForURL('**/files');
    const box = page.getByRole('searchbox', { name: 'Search files' });
    await box.fill('cobalt pelican');
    await expect.poll(() => page.getByTestId('hit-name').allTextContents(), { timeout: 30_000 }).toEqual(['harbour-memo.txt']);
    const snippet = page.getByTestId('hit-snippet').first();
    expect((await snippet.locator('mark').allTextContents()).map((m) => m.toLowerCase())).toEqual(expect.arrayContaining(['cobalt', 'pelican']));
    expect(await snippet.textContent()).toContain('protocol');
    // the facets are filter chips: the text type keeps the hit, and is shown pressed
    const textChip = page.getByRole('group', { name: 'Filter by type' }).getByRole('button', { name: /^text/ });
    await textChip.click();
    await expect.poll(() => textChip.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => page.getByTestId('hit-name').allTextContents()).toEqual(['harbour-memo.txt']);
    await expect.poll(() => page.getByTestId('search-status').textContent()).toContain('1 file matches.');
    await page.screenshot({ path: join(SCREENSHOTS, 'search.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Clear filters' }).click();

    // a document with a <script> in it: its snippet shows the characters, no element is made, nothing runs
    await box.fill('marmalade');
    await expect.poll(() => page.getByTestId('hit-name').allTextContents(), { timeout: 90_000 }).toEqual(['marmalade.txt']);
    const hostile = page.getByTestId('hit-snippet').first();
    await expect.poll(() => hostile.textContent()).toContain('<img src=x onerror=window.__strataPwned=2//');
    expect(await hostile.textContent()).toContain('window.__strataPwned = 1');
    expect(await hostile.locator('script, img').count()).toBe(0);
    expect(await hostile.locator('mark').count()).toBeGreaterThan(0);
    // and its panel shows the <script> of the summary as text
    await page.getByTestId('hit-name').first().click();
    await page.waitForURL('**/files/*');
    await expect.poll(() => page.getByTestId('summary').textContent(), { timeout: 30_000 }).toContain('<script>window.__strataPwned = 1</script>');
    expect(await page.getByTestId('summary').locator('*').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __strataPwned?: number }).__strataPwned)).toBeUndefined();
    await page.goBack();
    await page.waitForURL('**/files');

    // nothing matches: an empty state, not an empty page
    await box.fill('xylophonic quasar');
    await expect.poll(() => page.getByTestId('search-status').textContent()).toContain('Nothing matches');

    // the hit opens the file's panel: summary, keywords, tags to accept
    await box.fill('cobalt pelican');
    await expect.poll(() => page.getByTestId('hit-name').allTextContents(), { timeout: 30_000 }).toEqual(['harbour-memo.txt']);
    await page.getByTestId('hit-name').first().click();
    await page.waitForURL(memoUrl);
    await expect.poll(() => page.getByTestId('insights-status').getAttribute('data-status')).toBe('indexed');
    expect((await page.getByTestId('summary').textContent())?.length).toBeGreaterThan(20);
    expect((await page.getByTestId('keywords').locator('li').allTextContents()).join(' ')).toMatch(/harbour|survey|pelican|cobalt|breakwater/);
    const suggested = page.locator('[data-testid="tag"][data-state="suggested"]').first();
    const tagName = (await suggested.locator('.chip').textContent())?.trim() ?? '';
    expect(tagName).not.toBe('');
    await page.getByRole('button', { name: `Accept tag ${tagName}`, exact: true }).click();
    await expect.poll(() => page.locator(`[data-testid="tag"][data-state="accepted"] .chip`).allTextContents()).toContain(tagName);
    // an accepted tag can still be rejected, and says which it is
    expect(await page.getByRole('button', { name: `Reject tag ${tagName}`, exact: true }).count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'file-panel.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);

    // ask: the extractive answer says so, and its citation opens the file
    await page.getByRole('link', { name: 'Ask', exact: true }).click();
    await page.waitForURL('**/ask');
    await page.getByLabel('Question').fill('What does the cobalt pelican protocol say about the breakwater?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await expect.poll(() => page.getByTestId('answer-mode').textContent(), { timeout: 30_000 }).toMatch(/Extractive: the best passages from your documents, no AI model|Answered by the model/);
    const citation = page.getByTestId('citation').filter({ hasText: 'harbour-memo.txt' }).first();
    expect(await citation.textContent()).toContain('version 1');
    expect((await citation.locator('blockquote').textContent())?.toLowerCase()).toContain('pelican');
    await page.screenshot({ path: join(SCREENSHOTS, 'ask.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);
    await citation.getByRole('link', { name: 'harbour-memo.txt' }).click();
    await page.waitForURL(memoUrl);
    await expect.poll(() => page.getByTestId('panel-name').textContent()).toBe('harbour-memo.txt');

    // a file that cannot be read: the reason and a Retry, which reads it again
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('link', { name: 'Details of broken.pdf' }).click();
    await page.waitForURL('**/files/*');
    const brokenStatus = page.getByTestId('insights-status');
    await expect.poll(() => brokenStatus.getAttribute('data-status'), { timeout: 90_000 }).toBe('failed');
    expect(await brokenStatus.textContent()).toMatch(/^\s*Could not read: \S/);
    const [retried] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/insights/retry')), page.getByRole('button', { name: 'Retry' }).click()]);
    expect(retried.status()).toBe(202);
    expect(await page.getByRole('alert').count()).toBe(0);
    await expect.poll(() => brokenStatus.getAttribute('data-status'), { timeout: 90_000 }).toBe('failed');

    // a second version uploaded in another tab: the open panel reads it again live (no reload),
    // then offers to compare it with the first and says what changed
    await page.goto(memoUrl);
    await expect.poll(() => page.getByTestId('insights-status').getAttribute('data-status')).toBe('indexed');
    await page.evaluate(() => ((globalThis as { __samePage?: boolean }).__samePage = true));
    const other = await context.newPage();
    const otherErrors = watchConsole(other);
    await other.goto(`${gatewayUrl}/files`);
    await other.getByRole('button', { name: 'Versions of harbour-memo.txt' }).click();
    await other.getByLabel('Upload a new version:').setInputFiles([
      { name: 'harbour-memo.txt', mimeType: 'text/plain', buffer: Buffer.from(`${PLANTED}\nThe keepers also painted the south lamp green in February.`) },
    ]);
    await expect.poll(() => page.getByTestId('panel-meta').textContent(), { timeout: 30_000 }).toContain('version 2');
    const reading = page.getByTestId('insights-status');
    await expect.poll(async () => `${await reading.getAttribute('data-version')} ${await reading.getAttribute('data-status')}`, { timeout: 90_000 }).toBe('2 indexed');
    expect(await page.evaluate(() => (globalThis as { __samePage?: boolean }).__samePage)).toBe(true);
    expect(otherErrors).toEqual([]);
    await other.close();
    await page.getByLabel('From version', { exact: true }).selectOption('1');
    await page.getByLabel('To version', { exact: true }).selectOption('2');
    await page.getByRole('button', { name: 'Compare' }).click();
    await expect.poll(() => page.getByTestId('changes').textContent(), { timeout: 30_000 }).toContain('painted the south lamp green');
    expect(await accessibilityProblems(page)).toEqual([]);

    expect(errors).toEqual([]);

    // a file that is not there: a clear message on the panel's own URL (the browser logs the 404 itself)
    await page.goto(`${gatewayUrl}/files/${randomUUID()}`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('does not exist');
    expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
    await context.close();
  });

  it('pages search results with the cursor, the results updating as documents are read, and fits a phone', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signUp(page, `paging-${randomUUID()}@example.test`, 'a search through strata');
    const box = page.getByRole('searchbox', { name: 'Search files' });
    // searched before any is read: the empty state, then the hits as the live events come
    await box.fill('quokka');
    await expect.poll(() => page.getByTestId('search-status').textContent()).toContain('Nothing matches');
    const notes = Array.from({ length: 23 }, (_, i) => ({
      name: `field-note-${String(i + 1).padStart(2, '0')}.txt`,
      mimeType: 'text/plain',
      buffer: Buffer.from(`Field note ${i + 1}. A quokka was seen near the ranger station at dawn, eating leaves.\n`),
    }));
    await page.getByTestId('file-input').setInputFiles(notes);
    await expect.poll(() => page.locator('[data-testid="upload-row"][data-state="done"]').count(), { timeout: 60_000 }).toBe(23);
    // the first page holds 20; "More results" brings the rest, each file once
    const more = page.getByRole('button', { name: 'More results' });
    await expect.poll(() => more.count(), { timeout: 90_000 }).toBe(1);
    expect(await page.getByTestId('search-hit').count()).toBe(20);
    await more.click();
    await expect.poll(() => page.getByTestId('search-hit').count(), { timeout: 90_000 }).toBe(23);
    expect(new Set(await page.getByTestId('hit-name').allTextContents())).toEqual(new Set(notes.map((n) => n.name)));
    expect(await more.count()).toBe(0);

    // at phone width the results, a panel and the ask page fit without scrolling sideways
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await page.setViewportSize({ width: 375, height: 740 });
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.getByTestId('hit-name').first().click();
    await expect.poll(() => page.getByTestId('insights-status').getAttribute('data-status'), { timeout: 90_000 }).toBe('indexed');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.getByRole('link', { name: 'Ask', exact: true }).click();
    await page.getByLabel('Question').fill('Where was the quokka seen?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await expect.poll(() => page.getByTestId('citation').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await overflow()).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the preview fetched with the bearer token as a blob: URL (the stack has no preview maker yet, so the service’s answer is stood in for)', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signUp(page, `preview-${randomUUID()}@example.test`, 'a search through strata');
    await page.getByTestId('file-input').setInputFiles([{ name: 'card.txt', mimeType: 'text/plain', buffer: Buffer.from('A postcard from the harbour.\n') }]);
    await expect.poll(() => page.locator('[data-testid="upload-row"][data-state="done"]').count(), { timeout: 30_000 }).toBe(1);
    // the real insights answer, with a preview link added; the preview a real 1x1 PNG
    const authorizations: (string | undefined)[] = [];
    await page.route('**/api/v1/files/*/insights', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { fileId: string; preview: string | null };
      await route.fulfill({ response, json: { ...body, preview: `/api/v1/files/${body.fileId}/preview` } });
    });
    await page.route('**/api/v1/files/*/preview', async (route) => {
      authorizations.push(route.request().headers().authorization);
      await route.fulfill({ status: 200, contentType: 'image/png', body: PNG_1X1 });
    });
    await page.getByRole('link', { name: 'Details of card.txt' }).click();
    const img = page.getByTestId('preview');
    await expect.poll(() => img.getAttribute('src'), { timeout: 30_000 }).toMatch(/^blob:/);
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(1);
    expect(await img.getAttribute('alt')).toBe('First page of card.txt');
    expect(authorizations.length).toBeGreaterThan(0);
    for (const header of authorizations) expect(header).toMatch(/^Bearer \S+$/);
    expect(errors).toEqual([]);
    // a live refresh may be in flight through the stand-in: it is dropped, not left to fail
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await context.close();
  });
});
