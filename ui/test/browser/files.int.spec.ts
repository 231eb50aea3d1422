import type {} from '@strata/testing';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { SCREENSHOTS, accessibilityProblems, useBrowser, watchConsole } from './browser.js';

const { gatewayUrl } = inject('stack');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function signUp(page: Page, email: string, password: string) {
  await page.goto(`${gatewayUrl}/signup`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/files');
}

describe('the files journey in a real browser', () => {
  const { browser } = useBrowser();

  it('restores an older version, names it and sees what old versions take on the usage page', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signUp(page, `versions-${randomUUID()}@example.test`, 'versions through strata');
    const first = Buffer.from('the first draft\n');
    await page.getByTestId('file-input').setInputFiles([{ name: 'draft.txt', mimeType: 'text/plain', buffer: first }]);
    await expect.poll(() => page.getByTestId('file-name').allTextContents(), { timeout: 30_000 }).toContain('draft.txt');

    await page.getByRole('button', { name: 'Versions of draft.txt' }).click();
    await page.getByLabel('Upload a new version:').setInputFiles([{ name: 'draft.txt', mimeType: 'text/plain', buffer: Buffer.from('a second, longer draft\n') }]);
    await expect.poll(() => page.getByTestId('version').count(), { timeout: 30_000 }).toBe(2);

    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await expect.poll(() => page.getByTestId('version').count()).toBe(3);
    await expect.poll(() => page.locator('[data-testid="version"][data-version="3"]').textContent()).toContain('restored from version 1');
    expect(await page.locator('[data-testid="version"][data-version="3"]').textContent()).toContain('current');

    await page.getByRole('button', { name: 'Name version 1' }).click();
    await page.getByLabel('Name (empty: no name)').fill('first draft');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('version-label').allTextContents()).toEqual(['first draft']);

    // the restored version downloads the first version's bytes
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download version 3' }).click()]);
    expect(sha256(readFileSync((await download.path())!))).toBe(sha256(first));
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByRole('link', { name: 'Usage' }).click();
    await expect.poll(() => page.getByTestId('usage-versions').textContent()).toContain('2 versions take');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('uploads two files with progress, renames, opens versions, deletes, restores, downloads the same bytes, and sees another tab’s upload live', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchConsole(page);
    const email = `journey-${randomUUID()}@example.test`;
    await signUp(page, email, 'a journey through strata');

    const report = { name: 'report.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(3 * 1024 * 1024)]) };
    const notes = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('remember the milk\n'.repeat(200)) };
    await page.getByTestId('file-input').setInputFiles([report, notes]);
    await expect.poll(() => page.getByTestId('upload-row').count()).toBe(2);
    await expect.poll(() => page.locator('[data-testid="upload-row"][data-state="done"]').count(), { timeout: 30_000 }).toBe(2);
    // each upload showed a progress bar that reached the file's size
    const bars = await page.locator('[data-testid="upload-row"] progress').evaluateAll((els) => els.map((e) => [(e as HTMLProgressElement).value, (e as HTMLProgressElement).max]));
    for (const [value, max] of bars) expect(value).toBe(max);
    await expect.poll(() => page.getByTestId('file-name').allTextContents()).toEqual(expect.arrayContaining(['report.pdf', 'notes.txt']));
    // a moment to travel back to later: a whole second (the picker's precision) after the uploads, before the rename
    const before = Math.ceil((Date.now() + 1) / 1000) * 1000;
    await new Promise((r) => setTimeout(r, before - Date.now() + 50));

    // rename in place
    await page.getByRole('button', { name: 'Rename notes.txt' }).click();
    await page.getByLabel('New name for notes.txt').fill('shopping.txt');
    await page.getByLabel('New name for notes.txt').press('Enter');
    await expect.poll(() => page.getByTestId('file-name').allTextContents()).toContain('shopping.txt');

    // versions
    await page.getByRole('button', { name: 'Versions of report.pdf' }).click();
    await expect.poll(() => page.getByTestId('versions').textContent()).toContain('Version 1');
    await page.screenshot({ path: join(SCREENSHOTS, 'files.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);

    // delete to the trash, then restore from the trash page
    await page.getByRole('button', { name: 'Delete shopping.txt' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('moved to the trash');
    await page.getByRole('link', { name: 'Trash' }).click();
    await expect.poll(() => page.getByTestId('trash-row').count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'trash.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Restore shopping.txt' }).click();
    await expect.poll(() => page.getByTestId('trash-row').count()).toBe(0);
    await page.getByRole('link', { name: 'Files' }).click();
    await expect.poll(() => page.getByTestId('file-name').allTextContents()).toContain('shopping.txt');

    // the drive as it was before the rename: marked as the past, read-only, and back to now
    // the form a datetime-local input holds its value in: a whole minute has no seconds ("…T00:30", not "…T00:30:00")
    const local = await page.evaluate((ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 19).replace(/:00$/, ''), before);
    await page.getByTestId('as-of-input').fill(local);
    await page.getByTestId('as-of-show').click();
    await expect.poll(() => page.getByTestId('as-of-banner').textContent()).toContain('The past');
    await expect.poll(() => page.getByTestId('file-name').allTextContents()).toEqual(expect.arrayContaining(['report.pdf', 'notes.txt']));
    expect(await page.getByTestId('file-name').allTextContents()).not.toContain('shopping.txt');
    expect(await page.getByRole('button', { name: /^(Rename|Delete) / }).count()).toBe(0);
    expect(await page.getByTestId('file-input').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'files-as-of.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByTestId('as-of-now').click();
    await expect.poll(() => page.getByTestId('file-name').allTextContents()).toContain('shopping.txt');
    expect(await page.getByTestId('as-of-banner').count()).toBe(0);

    // download and compare the bytes
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download report.pdf' }).click()]);
    const saved = readFileSync((await download.path())!);
    expect(sha256(saved)).toBe(sha256(report.buffer));

    // a second page (another tab) sees an upload made here, live
    const second = await context.newPage();
    const secondErrors = watchConsole(second);
    await second.goto(`${gatewayUrl}/activity`);
    await expect.poll(() => second.getByTestId('live').count(), { timeout: 10_000 }).toBe(1);
    await page.getByTestId('file-input').setInputFiles([{ name: 'live.txt', mimeType: 'text/plain', buffer: Buffer.from('hello live') }]);
    await expect.poll(() => second.getByTestId('activity-row').first().textContent(), { timeout: 10_000 }).toContain('live.txt');
    await second.screenshot({ path: join(SCREENSHOTS, 'activity.png'), fullPage: true });
    expect(await accessibilityProblems(second)).toEqual([]);
    await second.goto(`${gatewayUrl}/usage`);
    await expect.poll(() => second.getByTestId('usage-summary').textContent()).toContain('3 files');
    expect(await second.getByTestId('usage-history').getAttribute('aria-label')).toContain('Storage over the last 30 days');
    await second.screenshot({ path: join(SCREENSHOTS, 'usage.png'), fullPage: true });
    expect(await accessibilityProblems(second)).toEqual([]);

    // sign out; signed-out pages send you to sign in
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/signin');
    for (const path of ['/files', '/trash', '/activity', '/usage']) {
      await page.goto(`${gatewayUrl}${path}`);
      await page.waitForURL(`**/signin?next=${encodeURIComponent(path)}`);
    }

    expect(errors).toEqual([]);
    expect(secondErrors).toEqual([]);
    await context.close();
  });
});
